# The native backend (src/math/native/): one addon per platform, kernels compiled once per instruction set with
# that set's flags (never -march=native) and chosen at run time, so one x86-64 binary runs on any x86-64 CPU.
# Built by scripts/build-native.mjs during npm install (optional: charnn falls back to wasm without it).
{
  'target_defaults': {
    'cflags_cc': ['-O3', '-std=gnu++17', '-ffp-contract=fast', '-fno-math-errno', '-fvisibility=hidden', '-fPIC'],
    'cflags_cc!': ['-fno-exceptions'],
    'defines': ['NAPI_VERSION=8', 'NAPI_DISABLE_CPP_EXCEPTIONS'],
    'xcode_settings': {
      'OTHER_CPLUSPLUSFLAGS': ['-O3', '-std=gnu++17', '-ffp-contract=fast', '-fno-math-errno'],
      'GCC_ENABLE_CPP_EXCEPTIONS': 'YES',
    },
  },
  'targets': [
    {
      'target_name': 'charnn',
      'sources': ['native/src/addon.cc', 'native/src/backend.cc', 'native/src/gemm.cc', 'native/src/isa_portable.cc'],
      'include_dirs': ["<!(node -p \"require('node-addon-api').include_dir\")"],
      'conditions': [
        ['target_arch=="x64"', { 'dependencies': ['charnn_avx2', 'charnn_avx512'] }],
      ],
    },
  ],
  'conditions': [
    ['target_arch=="x64"', {
      'targets': [
        {
          'target_name': 'charnn_avx2',
          'type': 'static_library',
          'sources': ['native/src/isa_avx2.cc'],
          'cflags_cc': ['-mavx2', '-mfma'],
          'xcode_settings': { 'OTHER_CPLUSPLUSFLAGS': ['-mavx2', '-mfma'] },
        },
        {
          'target_name': 'charnn_avx512',
          'type': 'static_library',
          'sources': ['native/src/isa_avx512.cc'],
          'cflags_cc': ['-mavx512f', '-mavx512dq', '-mavx512bw', '-mavx512vl', '-mavx2', '-mfma', '-mprefer-vector-width=512'],
          'xcode_settings': { 'OTHER_CPLUSPLUSFLAGS': ['-mavx512f', '-mavx512dq', '-mavx512bw', '-mavx512vl', '-mavx2', '-mfma'] },
        },
      ],
    }],
  ],
}
