//! The random execution delays of a lifelong problem (`delayConfig`): an
//! agent is held still for a number of ticks. Drawn from our own seeded
//! generator with the problem's parameters: the same seed gives the same
//! delays, whatever the planner does (draws do not depend on where agents
//! are). The reference draws with libstdc++'s `mt19937` and distributions,
//! so the two lists differ (`compare.py` says so); their rates match.
//!
//! - `bernoulli`: every tick, each agent not already delayed starts a
//!   delay with probability `pDelay`;
//! - `poisson`: every tick, a Poisson(`poissonLambda`) number of delays
//!   start, each on an agent drawn at random among those not delayed; a
//!   problem without `poissonLambda` (every example) gets `pDelay` × the
//!   team size, as the reference does;
//! - a delay lasts `minDelay..=maxDelay` ticks, `uniform`, or `gaussian`
//!   around `minDelay + gaussMeanRatio × range` with deviation
//!   `gaussStdRatio × range`, rounded and kept within the range.

use orchestrator::mapf::rng::Rng;

use crate::lifelong::DelayConfig;

/// A bad delay configuration.
#[derive(Debug, thiserror::Error)]
#[error("delayConfig.{field}: {found}; expected {expected}")]
pub struct DelayError {
    /// The field.
    pub field: &'static str,
    /// Its value.
    pub found: String,
    /// What it must be.
    pub expected: &'static str,
}

/// How delays start.
#[derive(Clone, Copy, Debug)]
enum Model {
    Bernoulli(f64),
    Poisson(f64),
}

/// The delay generator of a run.
#[derive(Clone, Debug)]
pub struct Delays {
    rng: Rng,
    model: Model,
    min: u64,
    max: u64,
    gaussian: Option<(f64, f64)>,
    /// Each agent is delayed until this tick (exclusive).
    until: Vec<u64>,
    count: u64,
    ticks: u64,
}

/// The Poisson model's mean delays per tick: `poissonLambda`, or when the
/// problem gives none, `pDelay` × the team size (what the reference draws).
fn poisson_rate(config: &DelayConfig, agents: usize) -> Result<f64, DelayError> {
    let (lambda, field) = match config.poisson_lambda {
        Some(l) => (l, "poissonLambda"),
        None => (config.p_delay * agents as f64, "pDelay"),
    };
    if !(lambda.is_finite() && lambda >= 0.0) || (field == "pDelay" && config.p_delay > 1.0) {
        return Err(DelayError {
            field,
            found: if field == "pDelay" { config.p_delay.to_string() } else { lambda.to_string() },
            expected: if field == "pDelay" { "a probability in [0, 1]" } else { "a finite rate ≥ 0" },
        });
    }
    Ok(lambda.min(agents as f64))
}

impl Delays {
    /// The generator for `agents` agents (`seed` overrides the problem's).
    pub fn new(config: &DelayConfig, seed: Option<u64>, agents: usize) -> Result<Delays, DelayError> {
        let model = match config.event_model.as_str() {
            "bernoulli" if (0.0..=1.0).contains(&config.p_delay) => Model::Bernoulli(config.p_delay),
            "bernoulli" => {
                return Err(DelayError {
                    field: "pDelay",
                    found: config.p_delay.to_string(),
                    expected: "a probability in [0, 1]",
                });
            }
            "poisson" => Model::Poisson(poisson_rate(config, agents)?),
            other => {
                return Err(DelayError {
                    field: "eventModel",
                    found: format!("{other:?}"),
                    expected: "\"bernoulli\" or \"poisson\"",
                });
            }
        };
        if config.min_delay == 0 || config.max_delay < config.min_delay {
            return Err(DelayError {
                field: "maxDelay",
                found: format!("{} with minDelay {}", config.max_delay, config.min_delay),
                expected: "1 ≤ minDelay ≤ maxDelay",
            });
        }
        let gaussian = match config.duration_model.as_str() {
            "uniform" => None,
            "gaussian" => Some((config.gauss_mean_ratio, config.gauss_std_ratio)),
            other => {
                return Err(DelayError {
                    field: "durationModel",
                    found: format!("{other:?}"),
                    expected: "\"uniform\" or \"gaussian\"",
                });
            }
        };
        Ok(Delays {
            rng: Rng::new(seed.unwrap_or(config.seed) ^ 0xde1a_5eed),
            model,
            min: u64::from(config.min_delay),
            max: u64::from(config.max_delay),
            gaussian,
            until: vec![0; agents],
            count: 0,
            ticks: 0,
        })
    }

    /// The delays that start at `tick`: (agent, length in ticks), in agent order.
    pub fn draw(&mut self, tick: u64) -> Vec<(usize, u64)> {
        let n = self.until.len();
        let mut hit = Vec::new();
        match self.model {
            Model::Bernoulli(p) => {
                for agent in 0..n {
                    if self.rng.unit() < p && self.until[agent] <= tick {
                        hit.push(agent);
                    }
                }
            }
            Model::Poisson(lambda) => {
                // Each delay falls on an agent drawn among those not
                // delayed (a few tries each, so that a busy tick ends).
                for _ in 0..self.poisson(lambda) {
                    for _ in 0..32 {
                        let agent = self.rng.below(n.max(1));
                        if agent < n && self.until[agent] <= tick && !hit.contains(&agent) {
                            hit.push(agent);
                            break;
                        }
                    }
                }
                hit.sort_unstable();
            }
        }
        hit.into_iter()
            .map(|agent| {
                let length = self.length();
                self.until[agent] = tick + length;
                self.count += 1;
                self.ticks += length;
                (agent, length)
            })
            .collect()
    }

    /// Delays drawn so far: how many, and their ticks in all.
    pub fn totals(&self) -> (u64, u64) {
        (self.count, self.ticks)
    }

    fn length(&mut self) -> u64 {
        let range = self.max - self.min;
        match self.gaussian {
            None => self.min + self.rng.below(range as usize + 1) as u64,
            Some((mean, std)) => {
                // Box–Muller.
                let (u1, u2) = (1.0 - self.rng.unit(), self.rng.unit());
                let z = (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
                let x = self.min as f64 + range as f64 * (mean + std * z);
                (x.round().max(self.min as f64) as u64).min(self.max)
            }
        }
    }

    /// A Poisson draw (Knuth's method; `lambda` is small).
    fn poisson(&mut self, lambda: f64) -> u64 {
        let limit = (-lambda).exp();
        let (mut k, mut p) = (0u64, 1.0);
        loop {
            p *= self.rng.unit();
            if p <= limit || k > 10_000 {
                return k;
            }
            k += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(model: &str) -> DelayConfig {
        DelayConfig {
            seed: 0,
            min_delay: 1,
            max_delay: 4,
            event_model: model.into(),
            p_delay: 0.01,
            poisson_lambda: Some(2.0),
            duration_model: "uniform".into(),
            gauss_mean_ratio: 0.5,
            gauss_std_ratio: 0.22,
        }
    }

    #[test]
    fn delays_come_at_the_configured_rate_within_the_range_and_never_overlap() {
        for model in ["bernoulli", "poisson"] {
            let mut d = Delays::new(&config(model), None, 400).unwrap();
            let mut until = vec![0; 400];
            for tick in 0..2_000 {
                for (agent, length) in d.draw(tick) {
                    assert!((1..=4).contains(&length));
                    assert!(until[agent] <= tick, "{model}: a delay started inside another");
                    until[agent] = tick + length;
                }
            }
            let (count, _) = d.totals();
            // Bernoulli: about 400 × 2000 × 0.01 (less the delayed ticks); Poisson: about 2 per tick.
            let want = if model == "bernoulli" { 7_800.0 } else { 4_000.0 };
            assert!((count as f64 - want).abs() < want * 0.1, "{model}: {count} delays");
        }
    }

    #[test]
    fn without_a_poisson_rate_the_team_size_times_p_delay_is_drawn() {
        // 150 agents at pDelay 0.01: 1.5 delays a tick, whether or not
        // many agents are already delayed (here 10–30 ticks each).
        let c = DelayConfig { poisson_lambda: None, min_delay: 10, max_delay: 30, ..config("poisson") };
        let mut d = Delays::new(&c, None, 150).unwrap();
        for tick in 0..2_000 {
            d.draw(tick);
        }
        let (count, _) = d.totals();
        assert!((count as f64 - 3_000.0).abs() < 300.0, "{count} delays");
    }

    #[test]
    fn the_same_seed_draws_the_same_delays_and_another_does_not() {
        let run = |seed| {
            let mut d = Delays::new(&config("bernoulli"), seed, 50).unwrap();
            (0..500).flat_map(|t| d.draw(t)).collect::<Vec<_>>()
        };
        assert_eq!(run(None), run(None));
        assert_ne!(run(None), run(Some(9)));
    }

    #[test]
    fn a_bad_configuration_names_the_field() {
        for (mut c, field) in [
            (config("sometimes"), "eventModel"),
            (DelayConfig { p_delay: 1.5, ..config("bernoulli") }, "pDelay"),
            (DelayConfig { poisson_lambda: Some(f64::NAN), ..config("poisson") }, "poissonLambda"),
            (DelayConfig { poisson_lambda: None, p_delay: -0.5, ..config("poisson") }, "pDelay"),
            (DelayConfig { min_delay: 5, ..config("bernoulli") }, "maxDelay"),
            (DelayConfig { duration_model: "zipf".into(), ..config("bernoulli") }, "durationModel"),
        ] {
            c.seed = 1;
            assert_eq!(Delays::new(&c, None, 3).unwrap_err().field, field);
        }
    }
}
