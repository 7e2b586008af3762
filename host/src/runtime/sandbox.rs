//! The engine shared by every module, and the epoch ticker behind wall-clock deadlines.

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    thread,
    time::Duration,
};

use wasmtime::{Config, Engine, OptLevel};

use super::Limits;

/// How often the epoch advances. A deadline is rounded up to whole ticks.
pub const EPOCH_TICK: Duration = Duration::from_millis(10);

/// The wasmtime engine and the limits every grading runs under.
pub struct Sandbox {
    engine: Engine,
    limits: Limits,
    ticker_stop: Arc<AtomicBool>,
}

impl Sandbox {
    /// An engine configured for deterministic, bounded gradings.
    pub fn new(limits: Limits) -> anyhow::Result<Sandbox> {
        let mut config = Config::new();
        config
            .wasm_component_model(true)
            .consume_fuel(true)
            .epoch_interruption(true)
            // Determinism: NaN bit patterns could otherwise differ between machines.
            .cranelift_nan_canonicalization(true)
            .cranelift_opt_level(OptLevel::Speed)
            .max_wasm_stack(512 << 10);
        let engine = Engine::new(&config).map_err(anyhow::Error::from)?;
        let ticker_stop = Arc::new(AtomicBool::new(false));
        spawn_ticker(&engine, ticker_stop.clone());
        Ok(Sandbox {
            engine,
            limits,
            ticker_stop,
        })
    }

    /// The engine.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// The limits each grading runs under.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// The deadline in epoch ticks, at least one.
    pub(crate) fn deadline_ticks(&self) -> u64 {
        let ticks = self
            .limits
            .deadline
            .as_nanos()
            .div_ceil(EPOCH_TICK.as_nanos());
        u64::try_from(ticks).unwrap_or(u64::MAX).max(1)
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        self.ticker_stop.store(true, Ordering::Relaxed);
    }
}

fn spawn_ticker(engine: &Engine, stop: Arc<AtomicBool>) {
    let weak = engine.weak();
    thread::Builder::new()
        .name("qgrade-epoch".into())
        .spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                thread::sleep(EPOCH_TICK);
                match weak.upgrade() {
                    Some(engine) => engine.increment_epoch(),
                    None => break,
                }
            }
        })
        .expect("spawn the epoch ticker thread");
}
