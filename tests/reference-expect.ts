// Assertions over the reference harness (tests/reference-fixture.ts), for the test files.
import { expect } from 'vitest';
import { compare, type Comparison, type Fixture, type Run } from './reference-fixture.ts';

/** Every comparison of a run with expected values, made before asserting, so a failure lists every tensor out of tolerance. */
export function expectClose(label: string, results: [string, Comparison][]): void {
  const worst = results.reduce((a, b) => (b[1].ratio > a[1].ratio ? b : a));
  console.log(
    `${label}: worst ${worst[0]} max err ${worst[1].maxErr.toExponential(2)} (${worst[1].ratio.toFixed(3)} of tolerance); ` +
      `rewards ${results[0]![1].maxErr.toExponential(2)}, loss ${results[1]![1].maxErr.toExponential(2)}, largest gradient ` +
      `error ${Math.max(...results.slice(2).map(([, c]) => c.maxErr)).toExponential(2)}`,
  );
  const failures = results
    .filter(([, c]) => !(c.ratio <= 1))
    .map(([name, c]) => `${name}: max err ${c.maxErr.toExponential(2)} = ${c.ratio.toFixed(1)} x tolerance`);
  expect(failures.length, `${label}, out of tolerance:\n  ${failures.join('\n  ')}\n`).toBe(0);
}

/** A run against its fixture: rewards, loss, every gradient, the parameter names and the accuracy. */
export function expectMatchesFixture(f: Fixture, r: Run, label: string): void {
  expectClose(label, [
    ['rewards', compare(r.rewards, f.expected.rewards)],
    ['loss', compare([r.loss], [f.expected.loss])],
    ...f.grads.map((g): [string, Comparison] => [`grad ${g.name}`, compare(r.grads.get(g.name) ?? [], g.data)]),
  ]);
  expect([...r.grads.keys()].sort()).toEqual(f.grads.map((g) => g.name).sort());
  expect(r.accuracy, `${label}: accuracy`).toBe(Math.fround(f.expected.accuracy)); // a float32 mean of 0s and 1s
}
