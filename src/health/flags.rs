//! Flags (N / H / HH / L) from configurable thresholds.
//!
//! A flag is stored with each reading as it was when the reading came in;
//! pages recompute it with the current thresholds (re-flag on read), so a
//! change of thresholds never rewrites stored data.
//!
//! Defaults follow DESIGN.md (blood pressure, BMI, fasting glucose). The other
//! defaults are common adult screening cut-offs, chosen for a kiosk that
//! advises "请复测 / 请就医" and never diagnoses:
//! - heart rate: < 50 /min low, >= 100 high, >= 120 very high (resting);
//! - SpO2: < 95 % low (the flag set has no "very low"; a kiosk reading
//!   below 95 % already means "see the doctor on duty");
//! - temperature: < 35.5 Cel low, >= 37.3 high (fever), >= 39.0 very high;
//! - blood pressure also < 90/60 low; glucose < 3.9 mmol/L low;
//! - height, weight and waist are never flagged (waist cut-offs depend on
//!   sex, weight on height: BMI carries that judgement).

use super::{Kind, Observation};

/// A reading's judgement. Stored as text (`as_str`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Flag {
    N,
    H,
    HH,
    L,
}

impl Flag {
    pub fn as_str(self) -> &'static str {
        match self {
            Flag::N => "N",
            Flag::H => "H",
            Flag::HH => "HH",
            Flag::L => "L",
        }
    }

    pub fn parse(s: &str) -> Option<Flag> {
        match s {
            "N" => Some(Flag::N),
            "H" => Some(Flag::H),
            "HH" => Some(Flag::HH),
            "L" => Some(Flag::L),
            _ => None,
        }
    }

    /// Plain advice for the TV; never a diagnosis.
    pub fn words(self) -> &'static str {
        match self {
            Flag::N => "正常",
            Flag::H => "偏高，请复测",
            Flag::HH => "明显偏高，请尽快就医",
            Flag::L => "偏低",
        }
    }

    /// Anything but normal.
    pub fn is_flagged(self) -> bool {
        self != Flag::N
    }
}

macro_rules! thresholds {
    ($($field:ident = $default:expr, $doc:literal;)*) => {
        /// Cut-offs for the flags; `health_<field>` in the TOML file,
        /// `PORTAL_HEALTH_<FIELD>` in the environment.
        #[derive(Debug, Clone, PartialEq)]
        pub struct Thresholds {
            $( #[doc = $doc] pub $field: f64, )*
        }

        impl Default for Thresholds {
            fn default() -> Self {
                Thresholds { $( $field: $default, )* }
            }
        }

        impl Thresholds {
            /// The setting names, without the `health_` prefix.
            pub const KEYS: &'static [&'static str] = &[$( stringify!($field), )*];

            /// Sets one threshold by its name (without prefix); false if unknown.
            pub fn set(&mut self, key: &str, value: f64) -> bool {
                match key {
                    $( stringify!($field) => { self.$field = value; true } )*
                    _ => false,
                }
            }

            /// One threshold by its name (without prefix).
            pub fn get(&self, key: &str) -> Option<f64> {
                match key {
                    $( stringify!($field) => Some(self.$field), )*
                    _ => None,
                }
            }
        }
    };
}

thresholds! {
    bp_high_systolic = 140.0, "Systolic mm[Hg] at or above which BP is high.";
    bp_high_diastolic = 90.0, "Diastolic mm[Hg] at or above which BP is high.";
    bp_very_high_systolic = 180.0, "Systolic mm[Hg] at or above which BP is very high.";
    bp_very_high_diastolic = 110.0, "Diastolic mm[Hg] at or above which BP is very high.";
    bp_low_systolic = 90.0, "Systolic mm[Hg] below which BP is low.";
    bp_low_diastolic = 60.0, "Diastolic mm[Hg] below which BP is low.";
    glucose_low = 3.9, "mmol/L below which glucose is low.";
    glucose_high = 6.1, "mmol/L at or above which (fasting) glucose is high.";
    glucose_very_high = 7.0, "mmol/L at or above which glucose is very high.";
    bmi_low = 18.5, "kg/m2 below which BMI is low.";
    bmi_high = 24.0, "kg/m2 at or above which BMI is high (overweight).";
    bmi_very_high = 28.0, "kg/m2 at or above which BMI is very high (obese).";
    heart_rate_low = 50.0, "/min below which the heart rate is low.";
    heart_rate_high = 100.0, "/min at or above which the heart rate is high.";
    heart_rate_very_high = 120.0, "/min at or above which the heart rate is very high.";
    spo2_low = 95.0, "% below which SpO2 is low.";
    temperature_low = 35.5, "Cel below which the temperature is low.";
    temperature_high = 37.3, "Cel at or above which the temperature is high.";
    temperature_very_high = 39.0, "Cel at or above which the temperature is very high.";
}

impl Thresholds {
    /// Every threshold positive and finite, and low < high <= very high.
    pub fn validate(&self) -> Result<(), String> {
        for key in Self::KEYS {
            let v = self.get(key).unwrap_or(f64::NAN);
            if !v.is_finite() || v <= 0.0 {
                return Err(format!("health_{key} must be a positive number"));
            }
        }
        let order: [(&str, f64, &str, f64, &str, f64); 6] = [
            (
                "bp_low_systolic",
                self.bp_low_systolic,
                "bp_high_systolic",
                self.bp_high_systolic,
                "bp_very_high_systolic",
                self.bp_very_high_systolic,
            ),
            (
                "bp_low_diastolic",
                self.bp_low_diastolic,
                "bp_high_diastolic",
                self.bp_high_diastolic,
                "bp_very_high_diastolic",
                self.bp_very_high_diastolic,
            ),
            (
                "glucose_low",
                self.glucose_low,
                "glucose_high",
                self.glucose_high,
                "glucose_very_high",
                self.glucose_very_high,
            ),
            (
                "bmi_low",
                self.bmi_low,
                "bmi_high",
                self.bmi_high,
                "bmi_very_high",
                self.bmi_very_high,
            ),
            (
                "heart_rate_low",
                self.heart_rate_low,
                "heart_rate_high",
                self.heart_rate_high,
                "heart_rate_very_high",
                self.heart_rate_very_high,
            ),
            (
                "temperature_low",
                self.temperature_low,
                "temperature_high",
                self.temperature_high,
                "temperature_very_high",
                self.temperature_very_high,
            ),
        ];
        for (lk, low, hk, high, vk, very) in order {
            if low >= high {
                return Err(format!("health_{lk} must be below health_{hk}"));
            }
            if high > very {
                return Err(format!("health_{hk} must not be above health_{vk}"));
            }
        }
        Ok(())
    }

    /// The flag of a stored reading under these thresholds.
    pub fn flag(&self, obs: &Observation) -> Flag {
        match Kind::from_code(&obs.code) {
            Some(kind) => self.flag_value(kind, obs.value, obs.value2),
            None => Flag::N,
        }
    }

    /// The flag of a value (and diastolic `value2` for blood pressure) in the
    /// kind's canonical unit.
    pub fn flag_value(&self, kind: Kind, value: f64, value2: Option<f64>) -> Flag {
        let three = |v: f64, low: f64, high: f64, very: f64| {
            if v >= very {
                Flag::HH
            } else if v >= high {
                Flag::H
            } else if v < low {
                Flag::L
            } else {
                Flag::N
            }
        };
        match kind {
            Kind::BloodPressure => {
                let sys = value;
                // A missing diastolic judges the systolic alone.
                let dia = value2.unwrap_or(self.bp_low_diastolic);
                if sys >= self.bp_very_high_systolic || dia >= self.bp_very_high_diastolic {
                    Flag::HH
                } else if sys >= self.bp_high_systolic || dia >= self.bp_high_diastolic {
                    Flag::H
                } else if sys < self.bp_low_systolic || dia < self.bp_low_diastolic {
                    Flag::L
                } else {
                    Flag::N
                }
            }
            Kind::Glucose => three(
                value,
                self.glucose_low,
                self.glucose_high,
                self.glucose_very_high,
            ),
            Kind::Bmi => three(value, self.bmi_low, self.bmi_high, self.bmi_very_high),
            Kind::HeartRate => three(
                value,
                self.heart_rate_low,
                self.heart_rate_high,
                self.heart_rate_very_high,
            ),
            Kind::Temperature => three(
                value,
                self.temperature_low,
                self.temperature_high,
                self.temperature_very_high,
            ),
            Kind::SpO2 => {
                if value < self.spo2_low {
                    Flag::L
                } else {
                    Flag::N
                }
            }
            Kind::Height | Kind::Weight | Kind::Waist => Flag::N,
        }
    }

    /// The threshold line to draw on a trend chart: (high, very high) in the
    /// kind's unit; for blood pressure the systolic values.
    pub fn lines(&self, kind: Kind) -> Option<(f64, f64)> {
        match kind {
            Kind::BloodPressure => Some((self.bp_high_systolic, self.bp_very_high_systolic)),
            Kind::Glucose => Some((self.glucose_high, self.glucose_very_high)),
            Kind::Bmi => Some((self.bmi_high, self.bmi_very_high)),
            Kind::HeartRate => Some((self.heart_rate_high, self.heart_rate_very_high)),
            Kind::Temperature => Some((self.temperature_high, self.temperature_very_high)),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_follow_the_design() {
        let t = Thresholds::default();
        assert!(t.validate().is_ok());
        let bp = |s, d| t.flag_value(Kind::BloodPressure, s, Some(d));
        assert_eq!(bp(120.0, 80.0), Flag::N);
        assert_eq!(bp(139.0, 89.0), Flag::N);
        assert_eq!(bp(140.0, 80.0), Flag::H);
        assert_eq!(bp(130.0, 90.0), Flag::H);
        assert_eq!(bp(180.0, 100.0), Flag::HH);
        assert_eq!(bp(150.0, 110.0), Flag::HH);
        assert_eq!(bp(85.0, 55.0), Flag::L);
        let bmi = |v| t.flag_value(Kind::Bmi, v, None);
        assert_eq!(bmi(18.0), Flag::L);
        assert_eq!(bmi(22.0), Flag::N);
        assert_eq!(bmi(24.0), Flag::H);
        assert_eq!(bmi(27.9), Flag::H);
        assert_eq!(bmi(28.0), Flag::HH);
        let glu = |v| t.flag_value(Kind::Glucose, v, None);
        assert_eq!(glu(5.0), Flag::N);
        assert_eq!(glu(6.1), Flag::H);
        assert_eq!(glu(7.0), Flag::HH);
        assert_eq!(glu(3.0), Flag::L);
        assert_eq!(t.flag_value(Kind::SpO2, 93.0, None), Flag::L);
        assert_eq!(t.flag_value(Kind::Weight, 300.0, None), Flag::N);
        assert_eq!(Flag::HH.words(), "明显偏高，请尽快就医");
    }

    #[test]
    fn validation_names_the_key() {
        let mut t = Thresholds::default();
        assert!(t.set("glucose_high", 8.0));
        let err = t.validate().unwrap_err();
        assert!(err.contains("health_glucose_high"), "{err}");
        let mut t = Thresholds::default();
        assert!(t.set("spo2_low", -1.0));
        assert!(t.validate().unwrap_err().contains("health_spo2_low"));
        assert!(!t.set("nope", 1.0));
        assert_eq!(t.get("spo2_low"), Some(-1.0));
    }
}
