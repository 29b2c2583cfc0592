//! dbt's `model.batch`: in one batch of a microbatch model, the batch's `id` (`20200101`) and
//! its `event_time_start` and `event_time_end` as aware UTC datetimes; `none` otherwise, so that
//! `model.batch.id` renders as nothing outside a batch, as in dbt.

use std::collections::BTreeMap;
use std::sync::Arc;

use minijinja::value::{Enumerator, Object, ObjectRepr, Value};
use minijinja::{Error, State};

use super::modules::DateTime;
use super::scope::BatchWindow;

/// The model's value with `batch` added; everything else is the model's.
#[derive(Debug)]
struct WithBatch {
    model: Value,
    batch: Value,
}

/// `model` with its `batch`: the given batch's, else `none`.
pub fn model_with_batch(model: Value, window: Option<&BatchWindow>) -> Value {
    let batch = window.map_or(Value::from(()), |window| {
        let batch: BTreeMap<&str, Value> = [
            ("id", Value::from(window.id.clone())),
            (
                "event_time_start",
                DateTime::utc(window.start_at).into_value(),
            ),
            ("event_time_end", DateTime::utc(window.end_at).into_value()),
        ]
        .into_iter()
        .collect();
        Value::from(batch)
    });
    Value::from_object(WithBatch { model, batch })
}

impl Object for WithBatch {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Map
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        if key.as_str() == Some("batch") {
            return Some(self.batch.clone());
        }
        self.model.get_item(key).ok().filter(|v| !v.is_undefined())
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        let mut keys: Vec<Value> = self
            .model
            .try_iter()
            .map(|keys| keys.filter(|k| k.as_str() != Some("batch")).collect())
            .unwrap_or_default();
        keys.push(Value::from("batch"));
        Enumerator::Values(keys)
    }

    fn is_true(self: &Arc<Self>) -> bool {
        self.model.is_true()
    }

    fn call_method(
        self: &Arc<Self>,
        state: &mut State<'_, '_>,
        method: &str,
        args: &[Value],
    ) -> Result<Value, Error> {
        self.model.call_method(state, method, args)
    }

    fn render(self: &Arc<Self>, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(&self.model, f)
    }
}
