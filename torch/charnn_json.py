"""canonical_json: byte for byte what charnn's canonicalJson (src/checkpoint/checksum.ts) writes for the same parsed
JSON value, i.e. JavaScript's JSON.stringify with object keys sorted at every depth. The version-2 checkpoint
checksum hashes it, so every difference from JavaScript is a checksum mismatch. Where the two languages differ:

- numbers: JavaScript has one number type (a double), written per ECMAScript Number::toString: integral values
  without '.0', exponent form only below 1e-6 or from 1e21 on ('1e-7', '1.5e+21'), the shortest digits that
  round-trip. Python's repr gives those same shortest digits (both pick the closest when several are shortest); only
  the layout is redone here. A Python int is the double JavaScript would parse it as (float() rounds to nearest as
  JSON.parse does), -0 writes as 0.
- strings: JSON.stringify escapes only '"', '\\' and the control characters (\\b \\f \\n \\r \\t, the others as
  \\u00xx in lowercase hex) and lone surrogates (\\udxxx); everything else, non-ASCII included, is left as it is.
- key order: Array.prototype.sort compares UTF-16 code units (Python compares code points: they differ between
  U+E000..U+FFFF and astral characters), and a JavaScript object enumerates its array-index keys ("0", "17", up to
  4294967294, no leading zeros) first, in numeric order, whatever the insertion order.
Only the standard library.
"""
import json
import math
import re

_SURROGATE = re.compile("[\ud800-\udfff]")
_SHORT = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def js_number(x):
    """JSON.stringify(x) for an int or float: ECMAScript Number::toString of the double JavaScript holds ('null'
    where that is not finite, as for a literal like 1e400 that JSON.parse reads as Infinity)."""
    try:
        x = float(x)
    except OverflowError:
        return "null"
    if not math.isfinite(x):
        return "null"
    if x == 0:
        return "0"  # -0 too, as JSON.stringify(-0)
    if x < 0:
        return "-" + js_number(-x)
    # repr: shortest round-trip digits, as '123.0', '0.001', '1e-07', '1.5e+21'; read off digits s and exponent n
    # with x = 0.s * 10^n (ECMAScript's k = len(s) digits, n)
    mant, _, exp = repr(x).partition("e")
    whole, _, frac = mant.partition(".")
    digits = (whole + frac).lstrip("0")
    n = len(whole) + int(exp or 0) - (len(whole + frac) - len((whole + frac).lstrip("0")))
    s = digits.rstrip("0")
    k = len(s)
    if k <= n <= 21:
        return s + "0" * (n - k)
    if 0 < n <= 21:
        return s[:n] + "." + s[n:]
    if -6 < n <= 0:
        return "0." + "0" * -n + s
    e = n - 1
    sign = "+" if e >= 0 else "-"
    return (s if k == 1 else s[0] + "." + s[1:]) + "e" + sign + str(abs(e))


def js_string(s):
    """JSON.stringify(s) for a str as json.loads gives it (lone surrogates possible, pairs already joined)."""
    out = ['"']
    for ch in s:
        c = ord(ch)
        if ch in _SHORT:
            out.append(_SHORT[ch])
        elif c < 0x20 or 0xD800 <= c <= 0xDFFF:
            out.append(f"\\u{c:04x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def _is_array_index(k):
    return k.isdigit() and k.isascii() and (k == "0" or k[0] != "0") and int(k) < 0xFFFFFFFF


def js_key_order(keys):
    """The order JSON.stringify writes an object built by inserting keys sorted by Array.prototype.sort."""
    ordered = sorted(keys, key=lambda k: k.encode("utf-16-be", "surrogatepass"))
    index = sorted((k for k in ordered if _is_array_index(k)), key=int)
    return index + [k for k in ordered if not _is_array_index(k)]


def _write(v, out):
    if v is None:
        out.append("null")
    elif v is True:
        out.append("true")
    elif v is False:
        out.append("false")
    elif isinstance(v, (int, float)):
        out.append(js_number(v))
    elif isinstance(v, str):
        out.append(js_string(v))
    elif isinstance(v, list):
        out.append("[")
        for i, item in enumerate(v):
            if i:
                out.append(",")
            _write(item, out)
        out.append("]")
    elif isinstance(v, dict):
        out.append("{")
        for i, k in enumerate(js_key_order(v)):
            if i:
                out.append(",")
            out.append(js_string(k))
            out.append(":")
            _write(v[k], out)
        out.append("}")
    else:
        raise TypeError(f"{type(v).__name__} is not a JSON value")


def dumps(value, allow_nan=False):
    """Compact JSON text as charnn writes a file: non-ASCII as it is, but a lone surrogate (a str can hold one, e.g.
    a file name os.fsdecode could not decode) as its \\u escape, as JSON.stringify writes it, so the text is UTF-8."""
    text = json.dumps(value, ensure_ascii=False, allow_nan=allow_nan, separators=(",", ":"))
    # a raw surrogate can only stand inside a string, where its escape means the same
    return _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def canonical_json(value):
    """charnn's canonicalJson(value). The JSON round trip first makes an in-memory value (tuples, numpy float64,
    int subclasses) read as the written file does, as charnn's own round trip does; a non-finite number (json.loads
    reads 1e400 as inf) survives it and writes as null, as JSON.stringify writes Infinity."""
    parsed = json.loads(dumps(value, allow_nan=True))
    out = []
    _write(parsed, out)
    return "".join(out)
