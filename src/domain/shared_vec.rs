//! Serde for the state's shared lists (`Vec<Arc<T>>`: snapshots clone the
//! state, the lists are shared): written and read as plain lists.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::sync::Arc;

pub fn serialize<S: Serializer, T: Serialize>(v: &[Arc<T>], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(v.iter().map(|a| &**a))
}

pub fn deserialize<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Vec<Arc<T>>, D::Error> {
    Ok(Vec::<T>::deserialize(d)?
        .into_iter()
        .map(Arc::new)
        .collect())
}
