//! `qgrade:grading@1.1.0` (`wit/since_v1.1.0`): its bindings and its conversions to and
//! from the host's types, indicator groups included.

use semver::Version;
use wasmtime::Store;

use super::convert::Convert;
use crate::{model as host, runtime::sandbox::StoreState};

mod bindings {
    wasmtime::component::bindgen!({
        path: "../wit/since_v1.1.0",
        world: "grading-module",
    });
}

use bindings::exports::qgrade::grading::grader as guest;

grader_1!(1, 1, 0);

general_rules_1!(guest <=> host);
records!(guest => host:
    Indicator { id, name_zh, name_en, unit, kind, direction, required, valid, rules, group }
);
variants!(guest => host:
    IndicatorGroup { Safety, Performance, Durability, Efficiency, Usability }
);
