//! Weather: daily temperature, rain and wind per district, seasonal with autocorrelated noise.
//! It is generated first each day because it drives the others (rain keeps shoppers home and
//! delays buses, cold raises power use, winter fills clinics).

use serde::{Deserialize, Serialize};

use crate::sim::calendar;
use crate::sim::config::SimConfig;
use crate::sim::output::Emit;
use crate::sim::random::Stream;
use crate::sim::table::{Kind, Schema, SqlType, Table, col};

pub const DAILY: Table = Table {
    domain: "weather",
    schema: Schema::Raw,
    name: "weather_daily",
    kind: Kind::Events,
    description: "One observation per district and day from the municipal weather stations.",
    columns: &[
        col(
            "day_serial",
            SqlType::Int,
            "The simulated day (serial since 20100101).",
        ),
        col(
            "ux_date",
            SqlType::Text,
            "The day as `yyyymmdd` in the Uxcestershire calendar.",
        ),
        col(
            "district_id",
            SqlType::Int,
            "The district of the station (301–320).",
        ),
        col(
            "temp_min_c",
            SqlType::Double,
            "Lowest temperature of the day, °C.",
        ),
        col(
            "temp_max_c",
            SqlType::Double,
            "Highest temperature of the day, °C.",
        ),
        col(
            "precip_mm",
            SqlType::Double,
            "Rainfall (or snow as water), mm.",
        ),
        col("wind_kph", SqlType::Double, "Mean wind speed, km/h."),
        col(
            "condition",
            SqlType::Text,
            "sunny, cloudy, rain, snow or storm.",
        ),
    ],
};

pub const TABLES: &[&Table] = &[&DAILY];

/// Today's weather across the town, for the domains it drives.
#[derive(Debug, Clone, Copy, Default)]
pub struct Today {
    pub temp_c: f64,
    pub precip_mm: f64,
    pub wind_kph: f64,
    /// Per district (index = district − 301): whether a storm hit it.
    pub storm: [bool; 20],
}

impl Today {
    pub fn rainy(&self) -> bool {
        self.precip_mm >= 2.0
    }
}

/// The weather's memory: yesterday's temperature anomaly per district, in hundredths of a
/// degree (integers, so a saved world reloads bit for bit).
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct State {
    anomaly_centi: Vec<i32>,
}

pub fn new() -> State {
    State {
        anomaly_centi: vec![0; 20],
    }
}

pub fn step(state: &mut State, config: &SimConfig, emit: &mut Emit) -> Today {
    let day = emit.day;
    let mut rng = Stream::new(config.seed, "weather", "daily", day);
    // The town shares one weather system; districts differ by a little local noise.
    let town_noise = rng.normal(0.0, 1.6);
    let rain_chance = 0.33 - 0.08 * calendar::seasonal_wave(day);
    let town_rain = if rng.chance(rain_chance) {
        rng.gamma(0.9, 5.5)
    } else {
        0.0
    };
    let town_wind = rng.log_normal(2.5, 0.45);
    let mut today = Today::default();
    let ux_date = calendar::ux_date(day).to_string();
    for (index, anomaly) in state.anomaly_centi.iter_mut().enumerate() {
        let previous = f64::from(*anomaly) / 100.0;
        let next = 0.7 * previous + 0.3 * town_noise + rng.normal(0.0, 0.5);
        *anomaly = (next * 100.0).round() as i32;
        let mean = 9.5 + 8.5 * calendar::seasonal_wave(day) + f64::from(*anomaly) / 100.0;
        let spread = 3.0 + rng.unit() * 4.0;
        let precip = (town_rain * (0.7 + 0.6 * rng.unit())).max(0.0);
        let wind = town_wind * (0.8 + 0.4 * rng.unit());
        let storm = wind > 45.0 && precip > 5.0;
        let condition = match () {
            _ if storm => "storm",
            _ if precip > 0.5 && mean < 1.0 => "snow",
            _ if precip > 0.5 => "rain",
            _ if rng.chance(0.45) => "cloudy",
            _ => "sunny",
        };
        today.temp_c += mean / 20.0;
        today.precip_mm += precip / 20.0;
        today.wind_kph += wind / 20.0;
        today.storm[index] = storm;
        emit.event(&DAILY, &[0], |line| {
            line.int(day)
                .text(&ux_date)
                .int(301 + index as u32)
                .fixed(mean - spread / 2.0, 1)
                .fixed(mean + spread / 2.0, 1)
                .fixed(precip, 1)
                .fixed(wind, 1)
                .text(condition);
        });
    }
    today
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::calendar::Day;
    use crate::sim::output::DayOutput;

    #[test]
    fn summers_are_warmer_than_winters() {
        let config = SimConfig::default();
        let mut state = new();
        let mut winter = 0.0;
        let mut summer = 0.0;
        for day in 0..360 {
            let mut output = DayOutput::default();
            let mut pending = Vec::new();
            let today = step(
                &mut state,
                &config,
                &mut Emit::new(day as Day, &mut output, &mut pending),
            );
            match calendar::season(day) {
                "winter" => winter += today.temp_c / 90.0,
                "summer" => summer += today.temp_c / 90.0,
                _ => {}
            }
        }
        assert!(
            summer - winter > 10.0,
            "summer {summer:.1} °C, winter {winter:.1} °C"
        );
    }
}
