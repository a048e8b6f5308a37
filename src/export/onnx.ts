/**
 * A charnn model as an ONNX graph of ONE inference step, built from the standard operators, so onnxruntime (Node,
 * browser, Python) or any ONNX runtime can sample it:
 *
 *   inputs   id (batch) int64            the current character's id
 *            h  (L, batch, H) float      the recurrent state (zeros to start); lstm also c (L, batch, H)
 *   outputs  logits (batch, V) float     unnormalised log-probabilities of the next character
 *            h_out (L, batch, H)         the new state (feed it back as h); lstm also c_out
 *
 *   id -> OneHot (V) or Gather (encoder.weight, --embed) -> Unsqueeze -> [LSTM | GRU | RNN] x L (state sliced per layer) -> Reshape -> Gemm (decoder)
 *
 * Gate orders: ONNX LSTM stacks its gates i, o, f, c (PyTorch: i, f, g, o); ONNX GRU z, r, h (PyTorch: r, z, n),
 * with linear_before_reset = 1, which is PyTorch's n = tanh(W_in x + b_in + r * (W_hn h + b_hn)); RNN is tanh.
 * The row blocks of every weight and bias are reordered accordingly; B is [b_ih | b_hh] as ONNX wants it.
 * The vocabulary (JSON list, id order) and the model config are in the model's metadata_props.
 * Opset 17, IR version 8. Pure: bytes out, no I/O.
 *
 * Dimension legend: V vocabulary, H hidden, L layers, D a layer's input width (V, or n with --embed, for layer 0), n embedding width, G gate blocks.
 */
import { GATES, inputWidth, type ModelConfig } from '../model/config.js';
import { EMBEDDING_TENSOR, type NamedTensor } from '../model/layout.js';
import { VERSION } from '../version.js';
import { Message } from './protobuf.js';

const OPSET = 17;
const IR_VERSION = 8;
const FLOAT = 1;
const INT64 = 7;
const ATTR_INT = 2;

/** PyTorch gate block i goes to ONNX position k: ONNX block k = PyTorch block ORDER[cell][k]. */
const ORDER: Record<ModelConfig['cell'], number[]> = { lstm: [0, 3, 1, 2], gru: [1, 0, 2], rnn: [0] };
const OP: Record<ModelConfig['cell'], string> = { lstm: 'LSTM', gru: 'GRU', rnn: 'RNN' };

export interface OnnxInput {
  config: ModelConfig;
  vocab: readonly string[];
  /** the state_dict (PyTorch names and layout) */
  tensors: readonly NamedTensor[];
}

type Dim = number | string;

function tensorProto(name: string, dims: number[], type: number, raw: Uint8Array): Message {
  return new Message().packedInts(1, dims).int(2, type).string(8, name).bytes(9, raw);
}

function floatTensor(name: string, dims: number[], data: Float32Array): Message {
  const le = new Uint8Array(data.length * 4);
  const dv = new DataView(le.buffer);
  for (let i = 0; i < data.length; i++) dv.setFloat32(4 * i, data[i], true);
  return tensorProto(name, dims, FLOAT, le);
}

function int64Tensor(name: string, dims: number[], values: number[]): Message {
  const le = new Uint8Array(values.length * 8);
  const dv = new DataView(le.buffer);
  values.forEach((v, i) => dv.setBigInt64(8 * i, BigInt(v), true));
  return tensorProto(name, dims, INT64, le);
}

function valueInfo(name: string, type: number, dims: Dim[]): Message {
  const shape = new Message();
  for (const d of dims) shape.message(1, typeof d === 'number' ? new Message().int(1, d) : new Message().string(2, d));
  const tensorType = new Message().int(1, type).message(2, shape);
  return new Message().string(1, name).message(2, new Message().message(1, tensorType));
}

function node(op: string, inputs: string[], outputs: string[], name: string, ints: Record<string, number> = {}): Message {
  const n = new Message();
  for (const i of inputs) n.string(1, i);
  for (const o of outputs) n.string(2, o);
  n.string(3, name).string(4, op);
  for (const [k, v] of Object.entries(ints)) n.message(5, new Message().string(1, k).int(3, v).int(20, ATTR_INT));
  return n;
}

/** Rows of a (G*H, cols) PyTorch tensor with its gate blocks put in ONNX order. */
function reorderRows(src: Float32Array | Float64Array, G: number, H: number, cols: number, order: number[]): Float32Array {
  const out = new Float32Array(G * H * cols);
  const block = H * cols;
  order.forEach((from, to) => out.set(src.subarray(from * block, (from + 1) * block), to * block));
  return out;
}

/** The encoded ONNX model (a .onnx file's bytes). */
export function buildOnnx(m: OnnxInput): Uint8Array {
  const { cell, layers: L, hidden: H, vocabSize: V } = m.config;
  if (m.vocab.length !== V) throw new Error(`the vocabulary has ${m.vocab.length} characters, the model ${V}`);
  if (m.config.layerNorm) throw new Error('ONNX GRU/LSTM operators have no layer normalisation (--layer-norm): export it as safetensors');
  const G = GATES[cell];
  const byName = new Map(m.tensors.map((t) => [t.name, t]));
  const get = (name: string): Float32Array | Float64Array => {
    const t = byName.get(name);
    if (!t) throw new Error(`the model has no tensor ${name}`);
    return t.data;
  };
  const lstm = cell === 'lstm';
  const nodes: Message[] = [];
  const n = m.config.embed ?? 0;
  const inits: Message[] = [
    // layer 0's input (batch, D): a learned embedding's rows (encoder.weight (V, n)) looked up by id, or one-hot
    ...(n ? [floatTensor('encoder_weight', [V, n], Float32Array.from(get(EMBEDDING_TENSOR)))] : [int64Tensor('depth', [1], [V]), floatTensor('onehot_values', [2], Float32Array.of(0, 1))]),
    int64Tensor('axes0', [1], [0]),
    int64Tensor('top_shape', [2], [-1, H]),
  ];

  if (n) nodes.push(node('Gather', ['encoder_weight', 'id'], ['x0_2d'], 'embedding', { axis: 0 }));
  else nodes.push(node('OneHot', ['id', 'depth', 'onehot_values'], ['x0_2d'], 'onehot', { axis: -1 }));
  nodes.push(node('Unsqueeze', ['x0_2d', 'axes0'], ['x0'], 'x0_seq'));
  let x = 'x0'; // (1, batch, D): a sequence of length 1
  const hOuts: string[] = [];
  const cOuts: string[] = [];
  for (let l = 0; l < L; l++) {
    const D = l === 0 ? inputWidth(m.config) : H;
    const order = ORDER[cell];
    const W = reorderRows(get(`rnn.weight_ih_l${l}`), G, H, D, order);
    const R = reorderRows(get(`rnn.weight_hh_l${l}`), G, H, H, order);
    const Bias = new Float32Array(2 * G * H);
    Bias.set(reorderRows(get(`rnn.bias_ih_l${l}`), G, H, 1, order), 0);
    Bias.set(reorderRows(get(`rnn.bias_hh_l${l}`), G, H, 1, order), G * H);
    inits.push(floatTensor(`W${l}`, [1, G * H, D], W), floatTensor(`R${l}`, [1, G * H, H], R), floatTensor(`B${l}`, [1, 2 * G * H], Bias));
    inits.push(int64Tensor(`start${l}`, [1], [l]), int64Tensor(`end${l}`, [1], [l + 1]));
    nodes.push(node('Slice', ['h', `start${l}`, `end${l}`, 'axes0'], [`h_in${l}`], `h_slice${l}`));
    const ins = [x, `W${l}`, `R${l}`, `B${l}`, '', `h_in${l}`];
    const outs = ['', `h_out${l}`];
    if (lstm) {
      nodes.push(node('Slice', ['c', `start${l}`, `end${l}`, 'axes0'], [`c_in${l}`], `c_slice${l}`));
      ins.push(`c_in${l}`);
      outs.push(`c_out${l}`);
      cOuts.push(`c_out${l}`);
    }
    const attrs: Record<string, number> = { hidden_size: H };
    if (cell === 'gru') attrs.linear_before_reset = 1;
    nodes.push(node(OP[cell], ins, outs, `${cell}${l}`, attrs));
    hOuts.push(`h_out${l}`);
    x = `h_out${l}`; // (1, batch, H): the next layer's input sequence
  }
  nodes.push(node('Concat', hOuts, ['h_out'], 'h_concat', { axis: 0 }));
  if (lstm) nodes.push(node('Concat', cOuts, ['c_out'], 'c_concat', { axis: 0 }));
  nodes.push(node('Reshape', [x, 'top_shape'], ['top'], 'top'));
  inits.push(floatTensor('decoder_weight', [V, H], Float32Array.from(get('decoder.weight'))));
  inits.push(floatTensor('decoder_bias', [V], Float32Array.from(get('decoder.bias'))));
  nodes.push(node('Gemm', ['top', 'decoder_weight', 'decoder_bias'], ['logits'], 'decoder', { transB: 1 }));

  const graph = new Message();
  for (const n of nodes) graph.message(1, n);
  graph.string(2, `charnn_${cell}${L}x${H}_step`);
  for (const t of inits) graph.message(5, t);
  graph.string(10, 'one step of a charnn model: id and state in, logits and the new state out (see metadata_props)');
  graph.message(11, valueInfo('id', INT64, ['batch']));
  graph.message(11, valueInfo('h', FLOAT, [L, 'batch', H]));
  if (lstm) graph.message(11, valueInfo('c', FLOAT, [L, 'batch', H]));
  graph.message(12, valueInfo('logits', FLOAT, ['batch', V]));
  graph.message(12, valueInfo('h_out', FLOAT, [L, 'batch', H]));
  if (lstm) graph.message(12, valueInfo('c_out', FLOAT, [L, 'batch', H]));

  const meta = (k: string, v: string) => new Message().string(1, k).string(2, v);
  const model = new Message()
    .int(1, IR_VERSION)
    .string(2, 'charnn')
    .string(3, VERSION)
    .string(6, 'charnn character-level model, one inference step; vocabulary and config in metadata_props')
    .message(7, graph)
    .message(8, new Message().string(1, '').int(2, OPSET))
    .message(14, meta('charnn.vocab', JSON.stringify(m.vocab)))
    .message(14, meta('charnn.model', JSON.stringify(m.config)))
    .message(14, meta('charnn.state', lstm ? 'h, c: (layers, batch, hidden), zeros to start' : 'h: (layers, batch, hidden), zeros to start'));
  return model.finish();
}
