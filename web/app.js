// The playground: options -> POST /v1/sample (server-sent events) -> text appended as it arrives; Stop aborts
// the request, which stops the generation on the server. The card and chart come from GET /v1/models.
import { drawLossChart } from './chart.js';
import { readEvents } from './sse.js';

const $ = (id) => document.getElementById(id);
const form = $('form');
const out = $('output');
const meta = $('meta');
const errorBox = $('error');
let models = [];
let controller = null;

const nf = new Intl.NumberFormat('en-US');
const short = (n) => (n >= 1e6 ? `${(n / 1e6).toFixed(1)}M` : n >= 1e4 ? `${(n / 1e3).toFixed(1)}k` : nf.format(n));
const minutes = (ms) => {
  const s = Math.round(ms / 1000), h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60);
  return h ? `${h}h${String(m).padStart(2, '0')}m` : m ? `${m}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
};

function setState(state) {
  document.body.dataset.state = state;
  const busy = state === 'streaming';
  $('generate').disabled = busy;
  $('stop').disabled = !busy;
}

function showError(line) {
  errorBox.textContent = line;
  errorBox.hidden = false;
}

// ---- sliders and their number boxes move together ------------------------------------------------------------
for (const name of ['temp', 'topP']) {
  const range = $(`${name}-range`), num = $(name);
  range.addEventListener('input', () => (num.value = range.value));
  num.addEventListener('input', () => {
    if (num.value !== '' && Number.isFinite(Number(num.value))) range.value = num.value;
  });
}

// ---- the model card ------------------------------------------------------------------------------------------
function showCard(m) {
  $('card-name').textContent = m.name;
  const rows = [
    ['Cell', `${m.cell.toUpperCase()}, ${m.layers} layer${m.layers > 1 ? 's' : ''} × ${m.hidden}`],
    ['Size', `${nf.format(m.params)} parameters`],
    ['Vocabulary', `${m.vocab.length} characters`],
    ['Corpus', m.corpus ? `${m.corpus.name}, ${short(m.corpus.chars)} characters` : 'not recorded'],
    ['Trained', `${nf.format(m.steps)} steps, ${short(m.trainedChars)} characters${m.trainedMs ? `, ${minutes(m.trainedMs)}` : ''}`],
    ['Best val loss', m.bestValLoss === null ? 'not measured' : `${m.bestValLoss.toFixed(3)} nats/char (${(m.bestValLoss / Math.LN2).toFixed(3)} bits) at step ${nf.format(m.bestValStep)}`],
  ];
  const dl = $('card');
  dl.replaceChildren();
  for (const [k, v] of rows) {
    const dt = document.createElement('dt');
    const dd = document.createElement('dd');
    dt.textContent = k;
    dd.textContent = v;
    dl.append(dt, dd);
  }
  drawLossChart($('chart'), m.lossHistory, m.bestValLoss === null ? null : { step: m.bestValStep, val: m.bestValLoss });
}

function currentModel() {
  return models.find((m) => m.name === $('model').value) ?? models[0];
}

// ---- the request -------------------------------------------------------------------------------------------------
function options() {
  const o = { model: $('model').value, prime: $('prime').value };
  for (const k of ['temp', 'topK', 'topP', 'length', 'seed']) {
    const v = $(k).value.trim();
    if (v !== '') o[k] = Number(v);
  }
  return o;
}

const quote = (o) => JSON.stringify(o).replace(/'/g, "'\\''");

function showCurl(o) {
  $('curl-hint').innerHTML = '';
  const auth = key ? ` -H 'Authorization: Bearer KEY'` : '';
  const code = document.createElement('code');
  code.textContent = `curl -N ${location.origin}/v1/sample${auth} -H 'Accept: text/plain' -d '${quote(o)}'`;
  $('curl-hint').append('Same text from a terminal: ', code);
  // OpenAI's completions: the same text after the prompt (top-k has no OpenAI field)
  if (!o.topK) {
    const c = { model: o.model, prompt: o.prime, max_tokens: (o.length ?? 1000) - [...o.prime].length };
    if (o.temp !== undefined) c.temperature = o.temp;
    if (o.topP !== undefined) c.top_p = o.topP;
    if (o.seed !== undefined) c.seed = o.seed;
    const oa = document.createElement('code');
    oa.textContent = `curl ${location.origin}/v1/completions${auth} -H 'Content-Type: application/json' -d '${quote(c)}'`;
    $('curl-hint').append(document.createElement('br'), 'OpenAI-style: ', oa);
  }
}

// ---- the API key (charnn serve --api-key): asked for once, kept for this tab -----------------------------------
let key = sessionStorage.getItem('charnn-key') ?? '';
async function api(path, init = {}) {
  for (;;) {
    const res = await fetch(path, { ...init, headers: { ...(init.headers ?? {}), ...(key ? { Authorization: `Bearer ${key}` } : {}) } });
    if (res.status !== 401) return res;
    const k = prompt('This server needs its API key (charnn serve --api-key):');
    if (!k) return res;
    key = k.trim();
    sessionStorage.setItem('charnn-key', key);
  }
}

async function generate(event) {
  event.preventDefault();
  if (controller) return;
  errorBox.hidden = true;
  out.replaceChildren();
  const prime = document.createElement('span');
  prime.className = 'prime';
  const text = document.createTextNode('');
  out.append(prime, text);
  const o = options();
  controller = new AbortController();
  setState('streaming');
  meta.textContent = 'starting…';
  const t0 = performance.now();
  let chars = 0;
  let seed = o.seed;
  let first = true;
  try {
    const res = await api('/v1/sample', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'text/event-stream' },
      body: JSON.stringify(o),
      signal: controller.signal,
    });
    if (!res.ok) {
      const body = await res.json().catch(() => ({ error: `HTTP ${res.status}` }));
      showError(body.error);
      meta.textContent = `refused (HTTP ${res.status})`;
      setState('error');
      return;
    }
    for await (const { event, data } of readEvents(res)) {
      if (event === 'start') {
        seed = data.seed;
        showCurl({ ...o, seed });
      } else if (event === 'message') {
        // the first text event is the prime, shown in its own colour
        if (first && o.prime) prime.textContent = data.text;
        else text.appendData(data.text);
        first = false;
        chars += [...data.text].length;
        const s = (performance.now() - t0) / 1000;
        meta.textContent = `seed ${seed} · ${nf.format(chars)} characters · ${nf.format(Math.round(chars / Math.max(s, 1e-3)))} chars/s`;
        out.scrollTop = out.scrollHeight;
      } else if (event === 'end') {
        const s = (performance.now() - t0) / 1000;
        meta.textContent = `seed ${seed} · ${nf.format(data.chars)} characters in ${s.toFixed(2)} s` + (data.reason === 'shutdown' ? ' · cut: the server is stopping' : ' · done');
      }
    }
    setState('done');
  } catch (e) {
    if (e.name === 'AbortError') {
      meta.textContent = `seed ${seed} · stopped after ${nf.format(chars)} characters`;
      setState('stopped');
    } else {
      showError(`charnn: the stream failed: ${e.message}`);
      setState('error');
    }
  } finally {
    controller = null;
    if (document.body.dataset.state === 'streaming') setState('done');
  }
}

form.addEventListener('submit', generate);
$('stop').addEventListener('click', () => controller?.abort());
$('model').addEventListener('change', () => showCard(currentModel()));

// ---- start -------------------------------------------------------------------------------------------------------
async function start() {
  try {
    const [list, health] = await Promise.all([api('/v1/models').then((r) => r.json()), api('/v1/health').then((r) => r.json())]);
    models = list.data; // OpenAI's list shape: each entry is a model card with id, object, created, owned_by
    const select = $('model');
    for (const m of models) select.append(new Option(m.name, m.name));
    $('length').max = String(health.maxLength);
    if (Number($('length').value) > health.maxLength) $('length').value = String(health.maxLength);
    showCard(models[0]);
    setState('ready');
  } catch (e) {
    showError(`charnn: cannot reach the server: ${e.message}`);
    setState('error');
  }
}
start();
