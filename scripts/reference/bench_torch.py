#!/usr/bin/python3
# The PyTorch side of bench/train-vs-torch.ts: times training steps of the same reward models that
# the fixtures' references define (reward_model_reference.py: the built-in pre-LayerNorm transformer;
# bert_reference.py: BERT with its pooler), in float32, on the token ids the benchmark gives, with
# the step RM Lab's trainer takes by default: chosen and rejected rows in one forward pass,
# Bradley-Terry loss, backward, global gradient norm clipped at max_grad_norm, AdamW, linear decay.
#
# Not run by hand: bench/train-vs-torch.ts writes a job file and calls
#   /usr/bin/python3 scripts/reference/bench_torch.py <job.json>
# and reads one JSON object from stdout. Debian's python3-torch (CPU); the `python3` on PATH has none.
import json
import math
import os
import sys
import time

import torch
import torch.nn.functional as F

sys.dont_write_bytecode = True  # no __pycache__ left in the repository by the imports below
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bert_reference  # noqa: E402
import reward_model_reference  # noqa: E402


def builtin_model(spec, seed):
    """The built-in encoder's weights (tfjs names) and its reward function over [2B, T] ids."""
    cfg = spec['config']
    w = reward_model_reference.draw_weights(cfg, torch.Generator().manual_seed(seed))
    pooling = spec['pooling']

    def rewards(params, ids, mask):
        return reward_model_reference.rewards(params, cfg, ids, mask, pooling)

    return w, rewards


def bert_model(spec, seed):
    """A BERT of the given shape (HF names), [CLS] pooled through its pooler, and its reward function."""
    c = spec['config']
    cfg = bert_reference.config(c['vocabSize'], c['hiddenSize'], c['numLayers'], c['numHeads'],
                                c['intermediateSize'], c['maxPositions'], c['hiddenAct'], c['layerNormEps'])
    pooling = spec['pooling']
    w = bert_reference.draw_weights(cfg, pooling, torch.Generator().manual_seed(seed))
    sep = c['sepTokenId']

    def rewards(params, ids, mask):
        # token types: 0 through the first [SEP], 1 after it (bert_reference.token_types, vectorised)
        is_sep = (ids == sep).to(torch.long)
        types = ((torch.cumsum(is_sep, 1) - is_sep) > 0).to(torch.long) * (mask > 0).to(torch.long)
        x = bert_float32(params, cfg, ids, types, mask)
        pooled = torch.tanh(F.linear(x[:, 0], params['bert.pooler.dense.weight'], params['bert.pooler.dense.bias']))
        return F.linear(pooled, params['classifier.weight'], params['classifier.bias']).squeeze(1)

    assert pooling == 'cls', 'the benchmark pools BERT through its pooler, as RM Lab does for cls'
    return w, rewards


def bert_float32(w, cfg, ids, types, mask):
    """
    bert_reference.bert_model, line for line, but for float32: the reference adds
    (1 - mask) * finfo(float64).min to the scores, which in float32 is 0 * -inf = NaN on every real
    token. Here the mask's own dtype's minimum is used, as transformers does.
    """
    n, T = ids.shape
    D, H, eps = cfg['hidden_size'], cfg['num_attention_heads'], cfg['layer_norm_eps']
    hs = D // H
    ln = lambda x, name: F.layer_norm(x, (D,), w[name + '.weight'], w[name + '.bias'], eps)
    lin = lambda x, name: F.linear(x, w[name + '.weight'], w[name + '.bias'])
    e = 'bert.embeddings.'
    x = F.embedding(ids, w[e + 'word_embeddings.weight'], padding_idx=bert_reference.PAD) \
        + w[e + 'position_embeddings.weight'][torch.arange(T)][None] \
        + F.embedding(types, w[e + 'token_type_embeddings.weight'])
    x = ln(x, e + 'LayerNorm')
    extended = (1.0 - mask[:, None, None, :]) * torch.finfo(mask.dtype).min  # [n, 1, 1, T]
    for l in range(cfg['num_hidden_layers']):
        p = f'bert.encoder.layer.{l}.'
        heads = lambda t: t.view(n, T, H, hs).permute(0, 2, 1, 3)  # [n, H, T, hs]
        q, k, v = (heads(lin(x, p + 'attention.self.' + m)) for m in ('query', 'key', 'value'))
        scores = q @ k.transpose(-1, -2) / math.sqrt(hs) + extended
        context = (torch.softmax(scores, dim=-1) @ v).permute(0, 2, 1, 3).reshape(n, T, D)
        x = ln(lin(context, p + 'attention.output.dense') + x, p + 'attention.output.LayerNorm')
        h = bert_reference.activation(cfg['hidden_act'], lin(x, p + 'intermediate.dense'))
        x = ln(lin(h, p + 'output.dense') + x, p + 'output.LayerNorm')
    return x  # [n, T, D]


def time_steps(job, spec, threads):
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    make = builtin_model if spec['kind'] == 'builtin' else bert_model
    w, rewards = make(spec, 1234)
    params = {k: v.to(torch.float32).clone().requires_grad_(True) for k, v in w.items()}
    B, T = spec['batchSize'], spec['length']
    batches = torch.tensor(spec['ids'], dtype=torch.long).reshape(-1, 2 * B, T)  # [steps, 2B, T]
    mask = torch.ones(2 * B, T, dtype=torch.float32)  # every position is a token: no padding
    warmup, steps = job['warmupSteps'], job['steps']
    total = warmup + steps
    assert batches.shape[0] >= total, f'{spec["name"]}: {batches.shape[0]} batches for {total} steps'
    optimizer = torch.optim.AdamW(list(params.values()), lr=job['learningRate'], weight_decay=job['weightDecay'])
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: max(0.0, 1 - s / total))
    margin = torch.zeros(B)

    def step(i):
        optimizer.zero_grad(set_to_none=True)
        r = rewards(params, batches[i], mask)  # [2B]: chosen rows, then rejected rows
        loss = F.softplus(r[B:] - r[:B] + margin).mean()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(list(params.values()), job['maxGradNorm'])
        optimizer.step()
        schedule.step()
        return loss.item()

    for i in range(warmup):
        step(i)
    start, cpu_start = time.perf_counter(), time.process_time()
    losses = [step(warmup + i) for i in range(steps)]
    seconds = time.perf_counter() - start
    cpu_seconds = time.process_time() - cpu_start
    assert all(math.isfinite(x) for x in losses), f'{spec["name"]}: loss went to {losses}'
    pairs_per_second = steps * B / seconds
    return {
        'threads': threads,
        'steps': steps,
        'seconds': seconds,
        'secondsPerStep': seconds / steps,
        'pairsPerSecond': pairs_per_second,
        'tokensPerSecond': pairs_per_second * 2 * T,
        # CPU time of the process: on a shared machine, the figure that others' jobs disturb least
        'cpuSeconds': cpu_seconds,
        'pairsPerCpuSecond': steps * B / cpu_seconds,
        'parameters': sum(p.numel() for p in params.values()),
        'firstLoss': losses[0],
        'lastLoss': losses[-1],
    }


def main():
    with open(sys.argv[1]) as f:
        job = json.load(f)
    default_threads = torch.get_num_threads()
    results = {}
    for spec in job['models']:
        results[spec['name']] = {
            'matched': time_steps(job, spec, job['threads']),
            # torch's own default (one thread per core) for context: not the like-for-like figure
            # (once per benchmark run: job['alsoDefaultThreads'] is false on its repeats)
            'defaultThreads': time_steps(job, spec, default_threads)
            if default_threads != job['threads'] and job.get('alsoDefaultThreads', True)
            else None,
        }
    json.dump({'torch': torch.__version__, 'defaultThreads': default_threads, 'results': results}, sys.stdout)


if __name__ == '__main__':
    main()
