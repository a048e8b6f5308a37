/**
 * `charnn serve` through the official `openai` npm client, as a program written for OpenAI's API would use it:
 * a real server (with an API key, which the client sends as its Bearer token), the models listed, completions
 * plain, streamed, with stop sequences, n > 1 and logprobs, each compared with what `charnn sample` prints for
 * the same options and seed, and the errors the client raises for refusals.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, runCli, tempDir } from './helpers/cli.js';
import { cliSample, startServer, type ServerProcess } from './helpers/serve.js';

const CKPT = join(ROOT, 'checkpoints', 'pretrained', 'tinyshakespeare.json');
const KEY = 'test-key-0123456789abcdef';

let dir: string;
let cleanup: () => void;
let s: ServerProcess;
let client: OpenAI;
beforeAll(async () => {
  ({ dir, cleanup } = tempDir());
  s = await startServer([CKPT, '--api-key', KEY, '--max-length', '5000'], dir);
  client = new OpenAI({ apiKey: KEY, baseURL: new URL('/v1', s.url).href, maxRetries: 0, timeout: 20_000 });
});
afterAll(async () => {
  await s?.stop();
  cleanup?.();
});

describe('charnn serve through the openai client', () => {
  it('lists the models', async () => {
    const list = await client.models.list();
    const models = list.data;
    expect(models.map((m) => [m.id, m.object, m.owned_by])).toEqual([['tinyshakespeare', 'model', 'charnn']]);
    expect(Number.isInteger(models[0].created)).toBe(true);
    expect((models[0] as unknown as { cell: string }).cell).toBeTruthy(); // charnn's card rides along
  });

  it('a completion is the text charnn sample prints for the same options and seed, with usage in characters', async () => {
    const r = await client.completions.create({ model: 'tinyshakespeare', prompt: 'ROMEO:', max_tokens: 200, temperature: 0.6, top_p: 0.95, seed: 11 });
    expect(r.object).toBe('text_completion');
    expect(r.model).toBe('tinyshakespeare');
    expect(r.choices).toHaveLength(1);
    expect(r.choices[0].finish_reason).toBe('length');
    const want = await cliSample(CKPT, { prime: 'ROMEO:', temp: 0.6, topP: 0.95, seed: 11, length: 206 }, dir);
    expect('ROMEO:' + r.choices[0].text).toBe(want);
    expect(r.usage).toEqual({ prompt_tokens: 6, completion_tokens: 200, total_tokens: 206 });
  });

  it('a streamed completion, read to the end, is the same text', async () => {
    const stream = await client.completions.create({ model: 'tinyshakespeare', prompt: 'JULIET:', max_tokens: 300, temperature: 0.7, seed: 3, stream: true, stream_options: { include_usage: true } });
    let text = '';
    let chunks = 0;
    const finish: (string | null)[] = [];
    let usage: unknown = null;
    for await (const c of stream) {
      chunks++;
      for (const ch of c.choices) {
        text += ch.text;
        if (ch.finish_reason) finish.push(ch.finish_reason);
      }
      if (c.usage) usage = c.usage;
    }
    expect(chunks).toBeGreaterThan(1);
    expect(finish).toEqual(['length']);
    expect(usage).toEqual({ prompt_tokens: 7, completion_tokens: 300, total_tokens: 307 });
    expect('JULIET:' + text).toBe(await cliSample(CKPT, { prime: 'JULIET:', temp: 0.7, seed: 3, length: 307 }, dir));
  });

  it('stop sequences end the text there (OpenAI leaves the sequence out; --stop-at prints it), streamed or not', async () => {
    const o = { model: 'tinyshakespeare', prompt: 'ROMEO:', max_tokens: 2000, temperature: 0.8, seed: 5, stop: ['\n\n', 'love'] };
    const r = await client.completions.create(o);
    expect(r.choices[0].finish_reason).toBe('stop');
    const cli = await cliSample(CKPT, { prime: 'ROMEO:', temp: 0.8, seed: 5, length: 2006 }, dir, ['--stop-at', '\n\n', '--stop-at', 'love']);
    const stop = cli.endsWith('\n\n') ? '\n\n' : 'love';
    expect(cli.endsWith(stop)).toBe(true);
    expect('ROMEO:' + r.choices[0].text + stop).toBe(cli);
    expect(r.usage!.completion_tokens).toBe([...r.choices[0].text].length);
    let streamed = '';
    let reason: string | null = null;
    for await (const c of await client.completions.create({ ...o, stream: true })) {
      streamed += c.choices[0]?.text ?? '';
      reason = c.choices[0]?.finish_reason ?? reason;
    }
    expect(streamed).toBe(r.choices[0].text);
    expect(reason).toBe('stop');
  });

  it('n choices use seeds seed, seed+1, ...; echo puts the prompt first; logprobs score every character', async () => {
    const r = await client.completions.create({ model: 'tinyshakespeare', prompt: 'KING', max_tokens: 60, temperature: 0.9, seed: 20, n: 2, echo: true, logprobs: 3 });
    expect(r.choices.map((c) => c.index)).toEqual([0, 1]);
    for (const [i, c] of r.choices.entries()) {
      expect(c.text).toBe(await cliSample(CKPT, { prime: 'KING', temp: 0.9, seed: 20 + i, length: 64 }, dir));
      const lp = c.logprobs!;
      expect(lp.tokens!.join('')).toBe(c.text);
      expect(lp.token_logprobs!.slice(0, 4)).toEqual([null, null, null, null]); // the echoed prompt is not scored
      for (let k = 4; k < lp.tokens!.length; k++) {
        const top = lp.top_logprobs![k]!;
        expect(Object.keys(top)).toHaveLength(3);
        expect(lp.token_logprobs![k]!).toBeLessThanOrEqual(0);
        expect(Math.max(...Object.values(top))).toBeGreaterThanOrEqual(lp.token_logprobs![k]! - 1e-12);
      }
      expect(lp.text_offset).toEqual(lp.tokens!.map((_, k) => k));
    }
    expect(r.usage).toEqual({ prompt_tokens: 4, completion_tokens: 120, total_tokens: 124 });
  });

  it('refusals are the errors the client raises: unknown model 404, bad temperature 400, unsupported parameter 400, a wrong key 401', async () => {
    const err = async (p: Promise<unknown>) => p.then(() => null, (e: unknown) => e);
    const nf = await err(client.completions.create({ model: 'nope', prompt: 'x', max_tokens: 5 }));
    expect(nf).toBeInstanceOf(OpenAI.NotFoundError);
    expect((nf as InstanceType<typeof OpenAI.NotFoundError>).message).toMatch(/unknown model "nope"/);
    const temp = await err(client.completions.create({ model: 'tinyshakespeare', prompt: 'x', max_tokens: 5, temperature: -1 }));
    expect(temp).toBeInstanceOf(OpenAI.BadRequestError);
    expect((temp as Error).message).toMatch(/temperature -1: must be at least 0/);
    const bo = await err(client.completions.create({ model: 'tinyshakespeare', prompt: 'x', max_tokens: 5, best_of: 3, presence_penalty: 1 }));
    expect(bo).toBeInstanceOf(OpenAI.BadRequestError);
    expect((bo as Error).message).toMatch(/cannot honour best_of .*presence_penalty/);
    const many = await err(client.completions.create({ model: 'tinyshakespeare', prompt: 'x', max_tokens: 5000 }));
    expect(many).toBeInstanceOf(OpenAI.BadRequestError);
    expect((many as Error).message).toMatch(/max_tokens 5000 with a prompt of 1 characters: over 5000/);
    const wrong = new OpenAI({ apiKey: 'not-the-key-at-all', baseURL: new URL('/v1', s.url).href, maxRetries: 0 });
    expect(await err(wrong.models.list())).toBeInstanceOf(OpenAI.AuthenticationError);
    expect(s.child.exitCode).toBeNull();
    expect(s.stderr()).not.toMatch(/internal error/);
  });
});

describe('POST /v1/completions: every numeric field checked for type and range before any work', () => {
  const cases: [string, string, RegExp][] = [
    ['max_tokens 1e309', '{"max_tokens": 1e309}', /max_tokens Infinity: must be a whole number from 1 to 5000/],
    ['max_tokens negative', '{"max_tokens": -1}', /max_tokens -1: must be a whole number/],
    ['max_tokens fraction', '{"max_tokens": 1.5}', /max_tokens 1\.5: must be a whole number/],
    ['max_tokens string', '{"max_tokens": "10"}', /max_tokens "10": must be a whole number/],
    ['max_tokens huge', '{"max_tokens": 9007199254740993}', /max_tokens 9007199254740992: must be a whole number from 1 to 5000/],
    ['n zero', '{"n": 0}', /n 0: must be a whole number from 1 to 32/],
    ['n past --max-streams', '{"n": 1000000000}', /n 1000000000: must be a whole number from 1 to 32/],
    ['logprobs 6', '{"logprobs": 6}', /logprobs 6: must be a whole number from 0 to 5/],
    ['seed negative', '{"seed": -1}', /seed -1: must be a whole number from 0 to 4294967295/],
    ['seed 2^32', '{"seed": 4294967296}', /seed 4294967296: must be a whole number/],
    ['seed fraction', '{"seed": 0.5}', /seed 0\.5: must be a whole number/],
    ['temperature string', '{"temperature": "hot"}', /temperature must be a number, got the string "hot"/],
    ['temperature -1e309', '{"temperature": -1e309}', /temperature must be a number, got -Infinity/],
    ['top_p zero', '{"top_p": 0}', /top_p 0: must be in \(0, 1\]/],
    ['stop not strings', '{"stop": [1]}', /stop must be a string or a list of strings/],
    ['five stops', '{"stop": ["a","b","c","d","e"]}', /stop: 5 sequences, at most 4/],
    ['NaN', '{"max_tokens": NaN}', /the body is not JSON/],
    ['prompt of token ids', '{"prompt": [1, 2, 3]}', /prompt must be a string/],
    ['an unknown field', '{"temperture": 1}', /unsupported parameter "temperture"/],
  ];
  for (const [what, body, re] of cases) {
    it(`refuses ${what} with a 400 in OpenAI's error shape`, async () => {
      const r = await fetch(new URL('/v1/completions', s.url), { method: 'POST', headers: { Authorization: `Bearer ${KEY}`, 'Content-Type': 'application/json' }, body });
      expect(r.status).toBe(400);
      const j = (await r.json()) as { error: { type: string; message: string } };
      expect(j.error.type).toBe('invalid_request_error');
      expect(j.error.message).toMatch(re);
    });
  }
});

describe('POST /v1/completions on a line-mode model', () => {
  it('each choice is one line, the text after the prompt without its line break, as charnn sample --count 1 draws it', async () => {
    writeFileSync(join(dir, 'names.txt'), 'anna\nbob\ncarla\ndavid\nemma\nfrank\ngina\nhenry\nirene\njack\n'.repeat(30));
    const t = await runCli(['train', 'names.txt', '--lines', '--hidden', '16', '--layers', '1', '--steps', '20', '--batch', '4', '--seq', '16', '--val-frac', '0', '--out', 'names-run', '-q'], { cwd: dir, timeoutMs: 60_000 });
    expect(t.code, t.stderr).toBe(0);
    const l = await startServer([join('names-run', 'latest.json')], dir);
    try {
      const c = new OpenAI({ apiKey: 'none', baseURL: new URL('/v1', l.url).href, maxRetries: 0 });
      const r = await c.completions.create({ model: 'names-run', prompt: 'a', max_tokens: 10, seed: 3, n: 2 });
      for (const [i, ch] of r.choices.entries()) {
        const want = await cliSample(join('names-run', 'latest.json'), { prime: 'a', seed: 3 + i, length: 11 }, dir, ['--count', '1']);
        expect('a' + ch.text + '\n').toBe(want);
        expect(ch.finish_reason).toBe(want.length - 2 < 10 ? 'stop' : 'length');
      }
      const lp = await c.completions.create({ model: 'names-run', prompt: 'a', max_tokens: 10, logprobs: 1 }).then(() => null, (e: unknown) => e);
      expect(lp).toBeInstanceOf(OpenAI.BadRequestError);
      expect((lp as Error).message).toMatch(/logprobs is for stream models/);
    } finally {
      await l.stop();
    }
  });
});
