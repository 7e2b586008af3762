//! `qgrade:grading@1.0.0` (`wit/since_v1.0.0`): its bindings and its conversions to and
//! from the host's types. A 1.0.0 indicator has no group.

use semver::Version;
use wasmtime::Store;

use super::convert::Convert;
use crate::{model as host, runtime::sandbox::StoreState};

mod bindings {
    wasmtime::component::bindgen!({
        path: "../wit/since_v1.0.0",
        world: "grading-module",
    });
}

use bindings::exports::qgrade::grading::grader as guest;

grader_1!(1, 0, 0);

general_rules_1!(guest <=> host);

impl Convert<host::Indicator> for guest::Indicator {
    fn convert(self) -> host::Indicator {
        host::Indicator {
            id: self.id,
            name_zh: self.name_zh,
            name_en: self.name_en,
            unit: self.unit,
            kind: self.kind.convert(),
            direction: self.direction.convert(),
            required: self.required,
            valid: self.valid.convert(),
            rules: self.rules.convert(),
            // 1.0.0 has no groups.
            group: None,
        }
    }
}
