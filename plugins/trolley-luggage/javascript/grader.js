// Trolley luggage 旅行拉杆箱 — the grading module of product code `trolley-luggage`, in
// JavaScript.
//
// The same standard as the Rust module (`../src/table.rs`) and the table (`../table.toml`),
// for interface `qgrade:grading@1.0.0`, built with componentize-js (see `build`). A module
// in JavaScript carries the general rules itself: `grade` below follows the SDK's engine
// (`sdk/src/engine.rs`) step for step, because the order of its checks is part of the
// contract (the first problem found is the error a lab sees).
//
// QB/T 2155-2018 is pass/fail only and no public grading standard exists, so every grade
// step is an approximation; the handle's wobble limit depends on its number of sections.

const VERSION = '1.0.0';
const LADDER = ['a', 'aa', 'aaa', 'aaaa', 'aaaaa'];
const NON_NEGATIVE = { min: 0, minExclusive: false, max: Infinity, step: undefined };
const COUNT = { min: 0, minExclusive: false, max: Infinity, step: 1 };
const [X, B, V] = ['approximate', 'baseline', 'verified'];
const [HIGHER, LOWER] = ['higher-better', 'lower-better'];

// ---- the table -------------------------------------------------------------------------

/** Ladder steps A…AAAAA as rules: [limit, basis] each, boundaries inclusive. */
function ladder(direction, steps) {
  const tag = direction === LOWER ? 'at-most' : 'at-least';
  return steps.map(([limit, basis], i) => ({
    when: undefined, grade: LADDER[i], bound: { tag, val: limit }, basis,
  }));
}

function floorAtMost(limit, basis, when) {
  return { when, grade: undefined, bound: { tag: 'at-most', val: limit }, basis };
}

function measured(id, nameZh, nameEn, unit, direction, valid, rules) {
  return { id, nameZh, nameEn, unit, kind: 'number', direction, required: true, valid, rules };
}

function passFail(id, nameZh, nameEn, basis) {
  return {
    id, nameZh, nameEn, unit: '', kind: 'boolean', direction: 'pass', required: true,
    valid: undefined, rules: [{ when: undefined, grade: undefined, bound: { tag: 'passes' }, basis }],
  };
}

const METADATA = {
  product: 'trolley-luggage',
  version: VERSION,
  standard: { code: 'QB/T 2155-2018', title: '旅行箱包 Luggage', level: 'industry' },
  grades: LADDER,
  indicators: [
    measured('rod_fatigue', '拉杆往复疲劳', 'handle fatigue', 'cycles', HIGHER, COUNT,
      ladder(HIGHER, [[2500, X], [3000, X], [4000, X], [5000, X], [6000, X]])),
    measured('walk_km', '走行距离', 'walking distance', 'km', HIGHER, NON_NEGATIVE,
      ladder(HIGHER, [[8, X], [16, X], [24, X], [32, X], [48, X]])),
    measured('oscillation', '振荡冲击', 'oscillating impact', 'cycles', HIGHER, COUNT,
      ladder(HIGHER, [[300, B], [400, X], [500, X], [750, X], [1000, X]])),
    measured('rod_wobble', '拉杆摇晃度', 'handle wobble', 'mm', LOWER, NON_NEGATIVE, [
      floorAtMost(20, V, { attribute: 'handle_sections', value: '2' }),
      floorAtMost(25, V, { attribute: 'handle_sections', value: '3' }),
    ]),
    measured('wheel_noise', '走轮噪音', 'wheel noise', 'dB', LOWER, NON_NEGATIVE,
      [floorAtMost(75, V)]),
    passFail('drop_pass', '跌落(900 mm)', 'drop test (900 mm)', X),
    passFail('drum_pass', '滚筒冲击(−12 °C, 50 rev)', 'drum impact (−12 °C, 50 revolutions)', V),
  ],
  attributes: [{
    name: 'handle_sections',
    description: '拉杆节数 number of telescopic handle sections',
    values: { tag: 'choice', val: ['2', '3'] },
    defaultValue: undefined,
  }],
  prerequisites: [{ standard: 'QB/T 2155', when: undefined }],
  notes: [
    "No public grading standard exists for trolley luggage: every grade step is the project's approximation; a later major version replaces them.",
  ],
};

// ---- the general rules (通则), as sdk/src/engine.rs applies them -----------------------

const isLeap = (y) => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
const daysInMonth = (y, m) => (m === 2 ? (isLeap(y) ? 29 : 28) : [4, 6, 9, 11].includes(m) ? 30 : 31);
const validDate = (d) => d.month >= 1 && d.month <= 12 && d.day >= 1 && d.day <= daysInMonth(d.year, d.month);
const dayNumber = (d) => (d.year * 13 + d.month) * 32 + d.day;

function oneYearEarlier(d) {
  const year = Math.max(d.year - 1, 0);
  return { year, month: d.month, day: Math.min(d.day, daysInMonth(year, d.month)) };
}

/** Why `n` is outside the valid range `r`, or undefined (the SDK's fixed phrases). */
function rangeProblem(r, n) {
  if (!Number.isFinite(n)) return 'must be a finite number';
  const aboveMin = r.minExclusive ? n > r.min : n >= r.min;
  if (!aboveMin || n > r.max) return 'is outside the valid range';
  if (r.step !== undefined) {
    const multiple = n / r.step;
    if (multiple !== Math.trunc(multiple)) {
      return r.step === 1 ? 'is not a whole number' : 'is not a multiple of the step';
    }
  }
  return undefined;
}

function met(bound, value) {
  const number = value.tag === 'number';
  switch (bound.tag) {
    case 'at-least': return number && value.val >= bound.val;
    case 'at-most': return number && value.val <= bound.val;
    case 'within': return number && bound.val[0] <= value.val && value.val <= bound.val[1];
    default: return value.tag === 'boolean' && value.val;
  }
}

/** The code without a trailing `-YYYY` (spaces around the dash allowed). */
function withoutYear(code) {
  const trimmed = code.replace(/[ \t\n\r\f]+$/, '');
  if (trimmed.length >= 5 && /^[0-9]{4}$/.test(trimmed.slice(-4))) {
    const head = trimmed.slice(0, -4).replace(/[ \t\n\r\f]+$/, '');
    if (head.endsWith('-')) return head.slice(0, -1);
  }
  return trimmed;
}

/** Same code ignoring ASCII whitespace and ASCII case. */
function sameCode(a, b) {
  const norm = (s) => s.replace(/[ \t\n\r\f]/g, '').replace(/[A-Z]/g, (c) => c.toLowerCase());
  return norm(a) === norm(b);
}

class Refusal extends Error {
  constructor(payload) {
    super(payload.tag);
    this.payload = payload;
  }
}

const refuse = (tag, val) => { throw new Refusal({ tag, val }); };

/** Every check, in the engine's order: the attributes' text values and the values. */
function validate(s) {
  if (!validDate(s.date)) refuse('invalid-field', { field: 'date', reason: 'is not a calendar date' });
  if (s.reportDate != null) {
    if (!validDate(s.reportDate)) {
      refuse('invalid-field', { field: 'report.date', reason: 'is not a calendar date' });
    }
    if (dayNumber(s.reportDate) > dayNumber(s.date)) {
      refuse('invalid-field', { field: 'report.date', reason: 'is dated after the grading date' });
    }
  }

  const specs = METADATA.attributes;
  const given = specs.map(() => undefined);
  for (const a of s.attributes) {
    const i = specs.findIndex((spec) => spec.name === a.name);
    if (i < 0) refuse('unknown-attribute', a.name);
    if (given[i] !== undefined) refuse('invalid-attribute', { attribute: a.name, reason: 'is given twice' });
    const choices = specs[i].values.val;
    if (a.value.tag === 'text' && choices.includes(a.value.val)) {
      given[i] = a.value.val;
    } else if (a.value.tag === 'number') {
      // A choice spelled in digits may arrive as a JSON number; it is the same choice.
      given[i] = choices.find((c) => /^[0-9]+$/.test(c) && Number(c) === a.value.val);
    }
    if (given[i] === undefined) {
      refuse('invalid-attribute', { attribute: a.name, reason: 'is not one of the allowed values' });
    }
  }
  specs.forEach((spec, i) => {
    if (given[i] === undefined && spec.defaultValue === undefined) refuse('missing-attribute', spec.name);
  });
  const attributes = new Map(specs.map((spec, i) => [spec.name, given[i] ?? spec.defaultValue]));

  const indicators = METADATA.indicators;
  const values = indicators.map(() => undefined);
  for (const m of s.measurements) {
    if (m.indicator >= indicators.length) refuse('unknown-indicator', m.indicator);
    if (values[m.indicator] !== undefined) refuse('duplicate-indicator', m.indicator);
    const indicator = indicators[m.indicator];
    const problem = indicator.kind === 'number'
      ? (m.value.tag === 'number' ? rangeProblem(indicator.valid, m.value.val) : 'expected a number')
      : (m.value.tag === 'boolean' ? undefined : 'expected a pass/fail boolean');
    if (problem !== undefined) refuse('invalid-value', { indicator: m.indicator, reason: problem });
    values[m.indicator] = m.value;
  }
  indicators.forEach((indicator, i) => {
    if (indicator.required && values[i] === undefined) refuse('missing-indicator', i);
  });
  return { attributes, values };
}

/** One indicator's outcome: floors first, then the highest step its value reaches. */
function judge(index, indicator, value, holds) {
  const outcome = (tag, threshold) => ({ indicator: index, verdict: { tag }, threshold });
  if (value === undefined) return outcome('not-measured', undefined);
  const floors = indicator.rules.filter((r) => r.grade === undefined && holds(r.when));
  const missed = floors.find((floor) => !met(floor.bound, value));
  if (missed) return outcome('failed-floor', missed.bound);
  const steps = indicator.rules.filter((r) => r.grade !== undefined && holds(r.when));
  if (steps.length === 0) return outcome('met', floors.length ? floors[floors.length - 1].bound : undefined);
  for (const step of [...steps].reverse()) {
    if (met(step.bound, value)) {
      return { indicator: index, verdict: { tag: 'reached', val: step.grade }, threshold: step.bound };
    }
  }
  return outcome('below-ladder', steps[0].bound);
}

/** Prerequisites (合格) and the one-year report rule, then floors, then the weakest link. */
function decide(s, holds, outcomes) {
  const notGraded = (tag, val) => ({ tag: 'err', val: { tag, val } });
  const conformity = s.conformity.map((c) => [withoutYear(c.standard), c.passed]);
  for (const p of METADATA.prerequisites) {
    if (!holds(p.when)) continue;
    const wanted = withoutYear(p.standard);
    const entries = conformity.filter(([code]) => sameCode(code, wanted));
    if (entries.length === 0) return notGraded('missing-prerequisite', p.standard);
    if (entries.some(([, passed]) => !passed)) return notGraded('failed-prerequisite', p.standard);
  }
  if (s.reportDate == null) return notGraded('no-report');
  if (dayNumber(s.reportDate) < dayNumber(oneYearEarlier(s.date))) {
    return notGraded('stale-report', s.reportDate);
  }
  const floor = outcomes.find((o) => o.verdict.tag === 'failed-floor');
  if (floor) return notGraded('failed-floor', floor.indicator);
  const below = outcomes.find((o) => o.verdict.tag === 'below-ladder');
  if (below) return notGraded('below-lowest-grade', below.indicator);
  const reached = outcomes.filter((o) => o.verdict.tag === 'reached').map((o) => LADDER.indexOf(o.verdict.val));
  if (reached.length === 0) return notGraded('other', 'the module has no graded indicator');
  return { tag: 'ok', val: LADDER[Math.min(...reached)] };
}

export const grader = {
  metadata() {
    return METADATA;
  },

  grade(submission) {
    const { attributes, values } = validate(submission);
    const holds = (when) => when === undefined || attributes.get(when.attribute) === when.value;
    const outcomes = METADATA.indicators.map((indicator, i) => judge(i, indicator, values[i], holds));
    return { grade: decide(submission, holds, outcomes), outcomes };
  },
};
