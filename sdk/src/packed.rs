//! A table as bytes: how a table module carries its [`Module`] as data.
//!
//! `qgrade module build` turns a standards body's table file into a [`Module`] and packs
//! it with [`pack`]; the table-module component (`sdk/table-module`), compiled once by the
//! project's build, unpacks it with [`unpack`] inside the sandbox and grades with the same
//! engine a Rust module links. The format is private to the two: little-endian, every
//! string a length and UTF-8 bytes, every list a count, every choice a tag byte. Unpacked
//! strings borrow the packed bytes, so a table module copies no text.
//!
//! A [`Module`]'s [`custom`](Module::custom) rule is code and cannot be packed.

use crate::{
    Basis, Bound, Condition, Direction, Group, IndicatorKind, Module, StandardLevel, ValidRange,
    table::{Attribute, AttributeValues, Floor, Indicator, Ladder, Prerequisite, Standard, Step},
};

/// The format's first byte; another format is another number.
const FORMAT: u8 = 1;

/// What marks the table module's reserved region in its component, where
/// `qgrade module build` writes a packed table: the marker, the table's length (4 bytes,
/// little-endian), then the table. It occurs once in the component.
pub const MARKER: [u8; 16] = *b"qgrade-table\0v1\0";
/// Room for a packed table in that region: a pilot packs into 2-4 KiB.
pub const CAPACITY: usize = 64 << 10;

/// Pack `module`, whose version is `version`. Fails only for a custom rule.
///
/// An enum is packed as its declaration order (`as u8`), which is the order [`unpack`]
/// lists its values in; the round-trip test and the pilots' tests hold the two together.
pub fn pack(module: &Module, version: &str) -> Result<Vec<u8>, &'static str> {
    if module.custom.is_some() {
        return Err("a custom rule is code: a table module cannot carry one");
    }
    let mut w = Writer(vec![FORMAT]);
    w.str(version);
    w.str(module.product);
    w.str(module.standard.code);
    w.str(module.standard.title);
    w.u8(module.standard.level as u8);
    w.list(module.prerequisites, |w, p| {
        w.str(p.standard);
        w.condition(p.when);
    });
    w.list(module.attributes, |w, a| {
        w.str(a.name);
        w.str(a.description);
        match a.values {
            AttributeValues::Choice(choices) => {
                w.u8(0);
                w.list(choices, |w, c| w.str(c));
            }
            AttributeValues::Number(range) => {
                w.u8(1);
                w.range(range);
            }
        }
        w.option(a.default_value, |w, d| w.str(d));
    });
    w.list(module.indicators, |w, i| {
        w.str(i.id);
        w.str(i.name_zh);
        w.str(i.name_en);
        w.str(i.unit);
        w.u8(i.kind as u8);
        w.u8(i.direction as u8);
        w.u8(i.required as u8);
        w.range(i.valid);
        match i.ladder {
            Ladder::None => w.u8(0),
            Ladder::Always(steps) => {
                w.u8(1);
                w.steps(&steps);
            }
            Ladder::ByAttribute { attribute, ladders } => {
                w.u8(2);
                w.str(attribute);
                w.list(ladders, |w, (value, steps)| {
                    w.str(value);
                    w.steps(steps);
                });
            }
        }
        w.list(i.floors, |w, f| {
            match f.bound {
                Bound::AtLeast(n) => {
                    w.u8(0);
                    w.f64(n);
                }
                Bound::AtMost(n) => {
                    w.u8(1);
                    w.f64(n);
                }
                Bound::Within(lo, hi) => {
                    w.u8(2);
                    w.f64(lo);
                    w.f64(hi);
                }
                Bound::Passes => w.u8(3),
            }
            w.u8(f.basis as u8);
            w.condition(f.when);
        });
        w.option(i.group, |w, g| w.u8(g as u8));
    });
    w.list(module.notes, |w, n| w.str(n));
    Ok(w.0)
}

/// Unpack a table packed by [`pack`]: the module and its version. The lists are leaked:
/// a table module unpacks once per instance, and every instance is discarded after one
/// call.
pub fn unpack(bytes: &'static [u8]) -> Result<(Module, &'static str), &'static str> {
    let mut r = Reader(bytes);
    if r.u8()? != FORMAT {
        return Err("not a packed table of this format");
    }
    let version = r.str()?;
    let product = r.str()?;
    let standard = Standard {
        code: r.str()?,
        title: r.str()?,
        level: r.tag([
            StandardLevel::National,
            StandardLevel::Industry,
            StandardLevel::Group,
        ])?,
    };
    let prerequisites = r.list(|r| {
        Ok(Prerequisite {
            standard: r.str()?,
            when: r.condition()?,
        })
    })?;
    let attributes = r.list(|r| {
        Ok(Attribute {
            name: r.str()?,
            description: r.str()?,
            values: match r.u8()? {
                0 => AttributeValues::Choice(r.list(|r| r.str())?),
                1 => AttributeValues::Number(r.range()?),
                _ => return Err("unknown attribute values"),
            },
            default_value: r.option(|r| r.str())?,
        })
    })?;
    let indicators = r.list(|r| {
        Ok(Indicator {
            id: r.str()?,
            name_zh: r.str()?,
            name_en: r.str()?,
            unit: r.str()?,
            kind: r.tag([IndicatorKind::Number, IndicatorKind::Boolean])?,
            direction: r.tag([
                Direction::Higher,
                Direction::Lower,
                Direction::Window,
                Direction::Pass,
            ])?,
            required: r.tag([false, true])?,
            valid: r.range()?,
            ladder: match r.u8()? {
                0 => Ladder::None,
                1 => Ladder::Always(r.steps()?),
                2 => Ladder::ByAttribute {
                    attribute: r.str()?,
                    ladders: r.list(|r| Ok((r.str()?, r.steps()?)))?,
                },
                _ => return Err("unknown ladder"),
            },
            floors: r.list(|r| {
                Ok(Floor {
                    bound: match r.u8()? {
                        0 => Bound::AtLeast(r.f64()?),
                        1 => Bound::AtMost(r.f64()?),
                        2 => Bound::Within(r.f64()?, r.f64()?),
                        3 => Bound::Passes,
                        _ => return Err("unknown bound"),
                    },
                    basis: r.basis()?,
                    when: r.condition()?,
                })
            })?,
            group: r.option(|r| {
                r.tag([
                    Group::Safety,
                    Group::Performance,
                    Group::Durability,
                    Group::Efficiency,
                    Group::Usability,
                ])
            })?,
        })
    })?;
    let notes = r.list(|r| r.str())?;
    if !r.0.is_empty() {
        return Err("bytes after the table");
    }
    let module = Module::new(product, standard)
        .prerequisites(prerequisites)
        .attributes(attributes)
        .indicators(indicators)
        .notes(notes);
    Ok((module, version))
}

struct Writer(Vec<u8>);

impl Writer {
    fn u8(&mut self, b: u8) {
        self.0.push(b);
    }
    fn u32(&mut self, n: usize) {
        let n = u32::try_from(n).expect("a table's lists and texts are far below 4 GiB");
        self.0.extend_from_slice(&n.to_le_bytes());
    }
    fn f64(&mut self, n: f64) {
        self.0.extend_from_slice(&n.to_le_bytes());
    }
    fn str(&mut self, s: &str) {
        self.u32(s.len());
        self.0.extend_from_slice(s.as_bytes());
    }
    fn list<T>(&mut self, items: &[T], mut each: impl FnMut(&mut Writer, &T)) {
        self.u32(items.len());
        for item in items {
            each(self, item);
        }
    }
    fn option<T: Copy>(&mut self, item: Option<T>, each: impl FnOnce(&mut Writer, T)) {
        match item {
            None => self.u8(0),
            Some(item) => {
                self.u8(1);
                each(self, item);
            }
        }
    }
    fn condition(&mut self, when: Option<Condition>) {
        self.option(when, |w, c| {
            w.str(c.attribute);
            w.str(c.value);
        });
    }
    fn range(&mut self, range: ValidRange) {
        self.f64(range.min);
        self.u8(range.min_exclusive as u8);
        self.f64(range.max);
        self.option(range.step, |w, s| w.f64(s));
    }
    fn steps(&mut self, steps: &[Step; 5]) {
        for step in steps {
            self.f64(step.limit);
            self.u8(step.basis as u8);
        }
    }
}

struct Reader(&'static [u8]);

type Read<T> = Result<T, &'static str>;

impl Reader {
    fn take(&mut self, n: usize) -> Read<&'static [u8]> {
        if self.0.len() < n {
            return Err("the table ends early");
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(head)
    }
    fn u8(&mut self) -> Read<u8> {
        Ok(self.take(1)?[0])
    }
    fn u32(&mut self) -> Read<usize> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
    }
    fn f64(&mut self) -> Read<f64> {
        let mut b = [0; 8];
        b.copy_from_slice(self.take(8)?);
        Ok(f64::from_le_bytes(b))
    }
    fn str(&mut self) -> Read<&'static str> {
        let n = self.u32()?;
        core::str::from_utf8(self.take(n)?).map_err(|_| "a text is not UTF-8")
    }
    /// One of `values`, by its index.
    fn tag<T: Copy, const N: usize>(&mut self, values: [T; N]) -> Read<T> {
        values
            .get(self.u8()? as usize)
            .copied()
            .ok_or("an unknown tag")
    }
    fn basis(&mut self) -> Read<Basis> {
        self.tag([Basis::Verified, Basis::Baseline, Basis::Approximate])
    }
    fn list<T>(&mut self, mut each: impl FnMut(&mut Reader) -> Read<T>) -> Read<&'static [T]> {
        let n = self.u32()?;
        // Each item takes at least a byte: a count larger than what is left is a lie, and
        // must not reserve memory.
        if n > self.0.len() {
            return Err("a list is longer than the table");
        }
        let mut items = Vec::with_capacity(n);
        for _ in 0..n {
            items.push(each(self)?);
        }
        Ok(Vec::leak(items))
    }
    fn option<T>(&mut self, each: impl FnOnce(&mut Reader) -> Read<T>) -> Read<Option<T>> {
        match self.u8()? {
            0 => Ok(None),
            1 => each(self).map(Some),
            _ => Err("an unknown option tag"),
        }
    }
    fn condition(&mut self) -> Read<Option<Condition>> {
        self.option(|r| {
            Ok(Condition {
                attribute: r.str()?,
                value: r.str()?,
            })
        })
    }
    fn range(&mut self) -> Read<ValidRange> {
        Ok(ValidRange {
            min: self.f64()?,
            min_exclusive: self.tag([false, true])?,
            max: self.f64()?,
            step: self.option(|r| r.f64())?,
        })
    }
    fn steps(&mut self) -> Read<[Step; 5]> {
        let mut steps = [Step {
            limit: 0.0,
            basis: Basis::Verified,
        }; 5];
        for step in &mut steps {
            step.limit = self.f64()?;
            step.basis = self.basis()?;
        }
        Ok(steps)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{b, v, x};

    static KETTLE: Module = Module::new(
        "demo-kettle",
        Standard::group("T/DEMO 1-2026", "Electric kettles 电水壶"),
    )
    .prerequisites(&[
        Prerequisite::always("GB 4706.19"),
        Prerequisite::when("use", "home", "GB 4706.1"),
    ])
    .attributes(&[
        Attribute::choice("use", "home or office", &["home", "office"]).default_value("home"),
        Attribute::number("volume_l", "rated volume", ValidRange::POSITIVE),
    ])
    .indicators(&[
        Indicator::percent(
            "efficiency",
            "热效率",
            "thermal efficiency",
            Direction::Higher,
        )
        .group(Group::Efficiency)
        .ladder([b(80.0), x(82.0), x(84.0), x(86.0), v(88.0)]),
        Indicator::number("noise", "噪声", "noise", "dB(A)", Direction::Lower)
            .optional()
            .ladder_by(
                "use",
                &[
                    ("home", [x(60.0), x(58.0), x(56.0), x(54.0), x(52.0)]),
                    ("office", [x(55.0), x(53.0), x(51.0), x(49.0), x(47.0)]),
                ],
            )
            .floors(&[Floor::at_most(65.0, Basis::Baseline).when("use", "home")]),
        Indicator::number("fit", "配合", "fit", "mm", Direction::Window)
            .valid(ValidRange::new(-1.0, 1.0).step(0.25))
            .floors(&[Floor::within(-0.5, 0.5, Basis::Verified)]),
        Indicator::pass_fail("dry_boil", "防干烧", "dry-boil protection", Basis::Baseline),
    ])
    .notes(&["A demonstration table."]);

    #[test]
    fn a_table_unpacks_to_itself() {
        let packed = pack(&KETTLE, "1.2.3").unwrap();
        let (module, version) = unpack(Vec::leak(packed.clone())).unwrap();
        assert_eq!(version, "1.2.3");
        assert_eq!(format!("{module:?}"), format!("{KETTLE:?}"));
        assert_eq!(
            pack(&module, version).unwrap(),
            packed,
            "packing is deterministic"
        );
    }

    #[test]
    fn every_truncation_is_an_error_not_a_panic() {
        let packed = Vec::leak(pack(&KETTLE, "1.0.0").unwrap());
        for end in 0..packed.len() {
            assert!(unpack(&packed[..end]).is_err(), "cut at {end}");
        }
        let mut longer = packed.to_vec();
        longer.push(0);
        assert!(unpack(Vec::leak(longer)).is_err());
    }
}
