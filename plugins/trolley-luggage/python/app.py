"""Trolley luggage 旅行拉杆箱 — the grading module of product code `trolley-luggage`, in Python.

The same standard as the Rust module (`../src/table.rs`) and the table (`../table.toml`),
for interface `qgrade:grading@1.0.0`, built with componentize-py (see `build`). A module
in Python carries the general rules itself: `grade` below follows the SDK's engine
(`sdk/src/engine.rs`) step for step, because the order of its checks is part of the
contract (the first problem found is the error a lab sees).

QB/T 2155-2018 is pass/fail only and no public grading standard exists, so every grade
step is an approximation; the handle's wobble limit depends on its number of sections.
"""

from componentize_py_types import Err
from wit_world import exports
from wit_world.exports.grader import (
    AttributeSpec, AttributeValue_Number, AttributeValue_Text, AttributeValues_Choice,
    Basis, Bound_AtLeast, Bound_AtMost, Bound_Passes, Condition, Direction, GradeLevel,
    GradeReport, GradingError_DuplicateIndicator, GradingError_InvalidAttribute,
    GradingError_InvalidField, GradingError_InvalidValue, GradingError_MissingAttribute,
    GradingError_MissingIndicator, GradingError_UnknownAttribute,
    GradingError_UnknownIndicator, Indicator, IndicatorKind, InvalidAttribute, InvalidField,
    InvalidValue, ModuleMetadata, NotGraded_BelowLowestGrade, NotGraded_FailedFloor,
    NotGraded_FailedPrerequisite, NotGraded_MissingPrerequisite, NotGraded_NoReport,
    NotGraded_Other, NotGraded_StaleReport, Outcome, Prerequisite, Rule, Standard,
    StandardLevel, ValidRange, Value_Boolean, Value_Number, Verdict_BelowLadder,
    Verdict_FailedFloor, Verdict_Met, Verdict_NotMeasured, Verdict_Reached,
)
from componentize_py_types import Ok

VERSION = "1.0.0"
LADDER = [GradeLevel.A, GradeLevel.AA, GradeLevel.AAA, GradeLevel.AAAA, GradeLevel.AAAAA]
INF = float("inf")
NON_NEGATIVE = ValidRange(min=0.0, min_exclusive=False, max=INF, step=None)
COUNT = ValidRange(min=0.0, min_exclusive=False, max=INF, step=1.0)
X, B, V = Basis.APPROXIMATE, Basis.BASELINE, Basis.VERIFIED


# ---- the table ------------------------------------------------------------------------

def ladder(direction, steps):
    """Ladder steps A…AAAAA as rules: (limit, basis) each, boundaries inclusive."""
    bound = Bound_AtMost if direction == Direction.LOWER_BETTER else Bound_AtLeast
    return [Rule(when=None, grade=g, bound=bound(limit), basis=basis)
            for g, (limit, basis) in zip(LADDER, steps)]


def floor_at_most(limit, basis, when=None):
    return Rule(when=when, grade=None, bound=Bound_AtMost(limit), basis=basis)


def measured(id, zh, en, unit, direction, valid, rules):
    return Indicator(id=id, name_zh=zh, name_en=en, unit=unit, kind=IndicatorKind.NUMBER,
                     direction=direction, required=True, valid=valid, rules=rules)


def pass_fail(id, zh, en, basis):
    return Indicator(id=id, name_zh=zh, name_en=en, unit="", kind=IndicatorKind.BOOLEAN,
                     direction=Direction.PASS, required=True, valid=None,
                     rules=[Rule(when=None, grade=None, bound=Bound_Passes(), basis=basis)])


HIGHER, LOWER = Direction.HIGHER_BETTER, Direction.LOWER_BETTER

METADATA = ModuleMetadata(
    product="trolley-luggage",
    version=VERSION,
    standard=Standard(code="QB/T 2155-2018", title="旅行箱包 Luggage",
                      level=StandardLevel.INDUSTRY),
    grades=LADDER,
    indicators=[
        measured("rod_fatigue", "拉杆往复疲劳", "handle fatigue", "cycles", HIGHER, COUNT,
                 ladder(HIGHER, [(2500.0, X), (3000.0, X), (4000.0, X), (5000.0, X), (6000.0, X)])),
        measured("walk_km", "走行距离", "walking distance", "km", HIGHER, NON_NEGATIVE,
                 ladder(HIGHER, [(8.0, X), (16.0, X), (24.0, X), (32.0, X), (48.0, X)])),
        measured("oscillation", "振荡冲击", "oscillating impact", "cycles", HIGHER, COUNT,
                 ladder(HIGHER, [(300.0, B), (400.0, X), (500.0, X), (750.0, X), (1000.0, X)])),
        measured("rod_wobble", "拉杆摇晃度", "handle wobble", "mm", LOWER, NON_NEGATIVE, [
            floor_at_most(20.0, V, Condition(attribute="handle_sections", value="2")),
            floor_at_most(25.0, V, Condition(attribute="handle_sections", value="3")),
        ]),
        measured("wheel_noise", "走轮噪音", "wheel noise", "dB", LOWER, NON_NEGATIVE,
                 [floor_at_most(75.0, V)]),
        pass_fail("drop_pass", "跌落(900 mm)", "drop test (900 mm)", X),
        pass_fail("drum_pass", "滚筒冲击(−12 °C, 50 rev)", "drum impact (−12 °C, 50 revolutions)", V),
    ],
    attributes=[AttributeSpec(name="handle_sections",
                              description="拉杆节数 number of telescopic handle sections",
                              values=AttributeValues_Choice(["2", "3"]), default_value=None)],
    prerequisites=[Prerequisite(standard="QB/T 2155", when=None)],
    notes=["No public grading standard exists for trolley luggage: every grade step is the "
           "project's approximation; a later major version replaces them."],
)


# ---- the general rules (通则), as sdk/src/engine.rs applies them ------------------------

def is_leap(y):
    return (y % 4 == 0 and y % 100 != 0) or y % 400 == 0


def days_in_month(y, m):
    if m == 2:
        return 29 if is_leap(y) else 28
    return 30 if m in (4, 6, 9, 11) else 31


def valid_date(d):
    return 1 <= d.month <= 12 and 1 <= d.day <= days_in_month(d.year, d.month)


def key(d):
    return (d.year, d.month, d.day)


def one_year_earlier(d):
    year = max(d.year - 1, 0)
    return (year, d.month, min(d.day, days_in_month(year, d.month)))


def range_problem(r, n):
    """Why `n` is outside the valid range `r`, or None (the SDK's fixed phrases)."""
    if n != n or n in (INF, -INF):
        return "must be a finite number"
    above_min = n > r.min if r.min_exclusive else n >= r.min
    if not above_min or n > r.max:
        return "is outside the valid range"
    if r.step is not None:
        multiple = n / r.step
        if multiple != int(multiple):
            return "is not a whole number" if r.step == 1.0 else "is not a multiple of the step"
    return None


def met(bound, value):
    if isinstance(bound, Bound_AtLeast):
        return isinstance(value, Value_Number) and value.value >= bound.value
    if isinstance(bound, Bound_AtMost):
        return isinstance(value, Value_Number) and value.value <= bound.value
    if isinstance(bound, Bound_Passes):
        return isinstance(value, Value_Boolean) and value.value
    lo, hi = bound.value
    return isinstance(value, Value_Number) and lo <= value.value <= hi


def without_year(code):
    """The code without a trailing `-YYYY` (spaces around the dash allowed)."""
    code = code.rstrip()
    if len(code) >= 5 and all("0" <= c <= "9" for c in code[-4:]):
        head = code[:-4].rstrip()
        if head.endswith("-"):
            return head[:-1]
    return code


def same_code(a, b):
    """Same code ignoring ASCII whitespace and ASCII case."""
    def norm(s):
        return "".join(c.lower() if c.isascii() else c for c in s if c not in " \t\n\r\f")
    return norm(a) == norm(b)


def fail(error):
    raise Err(error)


def validate(s):
    """Every check, in the engine's order; the attributes' text values and the values."""
    if not valid_date(s.date):
        fail(GradingError_InvalidField(InvalidField(field="date", reason="is not a calendar date")))
    if s.report_date is not None:
        if not valid_date(s.report_date):
            fail(GradingError_InvalidField(InvalidField(field="report.date",
                                                        reason="is not a calendar date")))
        if key(s.report_date) > key(s.date):
            fail(GradingError_InvalidField(InvalidField(field="report.date",
                                                        reason="is dated after the grading date")))

    specs = METADATA.attributes
    given = [None] * len(specs)
    for a in s.attributes:
        i = next((i for i, spec in enumerate(specs) if spec.name == a.name), None)
        if i is None:
            fail(GradingError_UnknownAttribute(a.name))
        if given[i] is not None:
            fail(GradingError_InvalidAttribute(InvalidAttribute(attribute=a.name,
                                                                reason="is given twice")))
        choices = specs[i].values.value
        value = a.value
        if isinstance(value, AttributeValue_Text) and value.value in choices:
            given[i] = value.value
        elif isinstance(value, AttributeValue_Number):
            # A choice spelled in digits may arrive as a JSON number; it is the same choice.
            given[i] = next((c for c in choices if c.isdigit() and float(int(c)) == value.value),
                            None)
        if given[i] is None:
            fail(GradingError_InvalidAttribute(InvalidAttribute(
                attribute=a.name, reason="is not one of the allowed values")))
    for spec, value in zip(specs, given):
        if value is None and spec.default_value is None:
            fail(GradingError_MissingAttribute(spec.name))
    attributes = {spec.name: value if value is not None else spec.default_value
                  for spec, value in zip(specs, given)}

    indicators = METADATA.indicators
    values = [None] * len(indicators)
    for m in s.measurements:
        if m.indicator >= len(indicators):
            fail(GradingError_UnknownIndicator(m.indicator))
        if values[m.indicator] is not None:
            fail(GradingError_DuplicateIndicator(m.indicator))
        indicator = indicators[m.indicator]
        if indicator.kind == IndicatorKind.NUMBER:
            problem = (range_problem(indicator.valid, m.value.value)
                       if isinstance(m.value, Value_Number) else "expected a number")
        else:
            problem = None if isinstance(m.value, Value_Boolean) else "expected a pass/fail boolean"
        if problem is not None:
            fail(GradingError_InvalidValue(InvalidValue(indicator=m.indicator, reason=problem)))
        values[m.indicator] = m.value
    for i, (indicator, value) in enumerate(zip(indicators, values)):
        if indicator.required and value is None:
            fail(GradingError_MissingIndicator(i))
    return attributes, values


def judge(index, indicator, value, holds):
    """One indicator's outcome: floors first, then the highest step its value reaches."""
    if value is None:
        return Outcome(indicator=index, verdict=Verdict_NotMeasured(), threshold=None)
    floors = [r for r in indicator.rules if r.grade is None and holds(r.when)]
    for floor in floors:
        if not met(floor.bound, value):
            return Outcome(indicator=index, verdict=Verdict_FailedFloor(), threshold=floor.bound)
    steps = [r for r in indicator.rules if r.grade is not None and holds(r.when)]
    if not steps:
        return Outcome(indicator=index, verdict=Verdict_Met(),
                       threshold=floors[-1].bound if floors else None)
    for step in reversed(steps):
        if met(step.bound, value):
            return Outcome(indicator=index, verdict=Verdict_Reached(step.grade),
                           threshold=step.bound)
    return Outcome(indicator=index, verdict=Verdict_BelowLadder(), threshold=steps[0].bound)


def decide(s, holds, outcomes):
    """Prerequisites (合格) and the one-year report rule, then floors, then the weakest link."""
    conformity = [(without_year(c.standard), c.passed) for c in s.conformity]
    for p in METADATA.prerequisites:
        if not holds(p.when):
            continue
        wanted = without_year(p.standard)
        entries = [passed for code, passed in conformity if same_code(code, wanted)]
        if not entries:
            return NotGraded_MissingPrerequisite(p.standard)
        if not all(entries):
            return NotGraded_FailedPrerequisite(p.standard)
    if s.report_date is None:
        return NotGraded_NoReport()
    if key(s.report_date) < one_year_earlier(s.date):
        return NotGraded_StaleReport(s.report_date)
    for o in outcomes:
        if isinstance(o.verdict, Verdict_FailedFloor):
            return NotGraded_FailedFloor(o.indicator)
    for o in outcomes:
        if isinstance(o.verdict, Verdict_BelowLadder):
            return NotGraded_BelowLowestGrade(o.indicator)
    reached = [LADDER.index(o.verdict.value) for o in outcomes
               if isinstance(o.verdict, Verdict_Reached)]
    if not reached:
        return NotGraded_Other("the module has no graded indicator")
    return LADDER[min(reached)]


class Grader(exports.Grader):
    def metadata(self) -> ModuleMetadata:
        return METADATA

    def grade(self, submission) -> GradeReport:
        attributes, values = validate(submission)

        def holds(when):
            return when is None or attributes.get(when.attribute) == when.value

        outcomes = [judge(i, indicator, value, holds)
                    for i, (indicator, value) in enumerate(zip(METADATA.indicators, values))]
        decided = decide(submission, holds, outcomes)
        grade = Ok(decided) if isinstance(decided, GradeLevel) else Err(decided)
        return GradeReport(grade=grade, outcomes=outcomes)
