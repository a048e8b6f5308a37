/** The charnn library API. Never imports cli/. The front door: loadModel (api/load-model.ts) and train (api/train.ts). */
export { loadModel, CharnnModel } from './api/load-model.js';
export type { LoadModelOptions, GenerateOptions } from './api/load-model.js';
export { train } from './api/train.js';
export type { TrainEvent, TrainApiOptions } from './api/train.js';
export { DEFAULT_BACKEND, DEFAULT_THREADS, SAMPLE_DEFAULTS, SIMD_MODES } from './options.js';
export type { SimdMode } from './options.js';
export type { Kernels, Vec, DType } from './math/kernels.js';
export { createNaiveKernels } from './math/kernels-naive.js';
export { createJsKernels } from './math/kernels-js.js';
export { Rng } from './math/rng.js';
export type { RngState } from './math/rng.js';
export * from './model/config.js';
export { Vocab, encodeUtf8, describeCodePoint } from './data/vocab.js';
export type { Ids, EncodedCorpus } from './data/vocab.js';
export { Batches, splitIds } from './data/batches.js';
export type { Split } from './data/batches.js';
export { windowSources } from './data/window-source.js';
export type { WindowSource, WindowFill, EvalLayout, TrainData } from './data/window-source.js';
export { readCorpus, readStream } from './corpus/read.js';
export type { ByteSource } from './corpus/read.js';
export { Optimizer, clipScale, resolveOptimizerConfig, OPTIMIZER_NAMES, OPTIMIZER_BUFFERS, ADAM_BETA1, ADAM_BETA2, OPTIMIZER_EPS, RMSPROP_ALPHA, SGD_MOMENTUM } from './train/optimizer.js';
export type { OptimizerName, OptimizerOptions, OptimizerConfig, OptimizerState, ClipResult } from './train/optimizer.js';
export { learningRate, validateSchedule, SCHEDULE_KINDS } from './train/schedule.js';
export type { ScheduleKind, ScheduleOptions } from './train/schedule.js';
export { createKernels, BACKEND_NAMES } from './math/backend.js';
export type { BackendName, BackendOptions } from './math/backend.js';
export { Trainer, TrainingDivergedError, TRAIN_CONFIG_KEYS, EXPLODE_FACTOR } from './train/trainer.js';
export { trainConfigOf } from './options.js';
export { evaluateText, evaluateWindows } from './train/evaluate.js';
export type { TextLoss, WindowsLoss } from './train/evaluate.js';
export { evaluate } from './api/evaluate.js';
export type { EvalResult as EvaluateResult } from './api/evaluate.js';
export type {
  TrainableModel,
  TrainConfig,
  TrainerState,
  StepResult,
  EvalResult,
  LossPoint,
  DivergenceKind,
} from './train/trainer.js';
export { resolveCorpus, fetchRegistryCorpus } from './corpus/resolve.js';
export type { ResolvedCorpus, ResolveOptions } from './corpus/resolve.js';
export { loadRegistry, findCorpus } from './corpus/registry.js';
export type { CorpusEntry, Registry } from './corpus/registry.js';
export { CorpusError } from './corpus/errors.js';
export { CharRNN } from './model/char-rnn.js';
export type { NamedTensor, ForwardOptions } from './model/char-rnn.js';
export { saveCheckpoint, loadCheckpoint, writeFileAtomic } from './checkpoint/io.js';
export { encodeCheckpoint, decodeCheckpoint, checkpointToText } from './checkpoint/codec.js';
export type { CheckpointInput } from './checkpoint/codec.js';
export { samplingOnly, isSamplingOnly } from './checkpoint/sampling-only.js';
export { checkpointOfRun, modelFromCheckpoint, trainerStateOf } from './checkpoint/run-state.js';
export type { RunTotals } from './checkpoint/run-state.js';
export { checkpointInFolder, findDefaultCheckpoint } from './checkpoint/find.js';
export { CHECKPOINT_FORMAT, CHECKPOINT_VERSION, newProgress } from './checkpoint/schema.js';
export type { Checkpoint, CheckpointJSON, TensorJSON, Tensor, TrainingProgress, OptimizerSnapshot, CorpusInfo, HiddenState } from './checkpoint/schema.js';
export { CheckpointError } from './checkpoint/errors.js';
export { expectedTensorShapes } from './checkpoint/validate.js';
export { buildOnnx } from './export/onnx.js';
export type { OnnxInput } from './export/onnx.js';
export { encodeSafetensors, decodeSafetensors } from './export/safetensors.js';
export type { SafetensorsFile } from './export/safetensors.js';
export { exportCheckpoint, checkpointFromSafetensors, configFromTensors, EXPORT_FORMATS } from './export/convert.js';
export type { ExportFormat } from './export/convert.js';
export { Sampler } from './sample/sampler.js';
export { LineSampler } from './sample/lines.js';
export type { LineSample, LineModel } from './sample/lines.js';
export { LineBatches, splitLines, splitLineIndices } from './data/lines.js';
export type { LineSet, LineSplit, LineWindow } from './data/lines.js';
export { encodeLines, lineStrings } from './data/line-corpus.js';
export type { LineCorpus } from './data/line-corpus.js';
export type { SampleOptions, StepModel } from './sample/sampler.js';
export { preparePrime, encodePrime, describeDropped, startIds } from './sample/prime.js';
export type { Prime } from './sample/prime.js';
export { Drawer } from './sample/draw.js';
export { BatchSampler, BatchStream } from './sample/batch.js';
export type { StreamSpec } from './sample/batch.js';
export { Scorer, surprisal } from './sample/score.js';
export { beamSearch, logSoftmax } from './sample/beam.js';
export type { BeamOptions, BeamResult } from './sample/beam.js';
export { Bans } from './sample/ban.js';
export { trace, correlatedUnits, pearson, unitSeries } from './sample/trace.js';
export type { Trace } from './sample/trace.js';
export { extendTensors } from './model/extend-vocab.js';
export { CharnnError } from './errors.js';
export { VERSION } from './version.js';
