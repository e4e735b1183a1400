//! Lenient field types for the typed feed structs (`#[derive(Deserialize)]`): a feed field of an
//! unexpected JSON type is read as "not there" (or "something else"), never as an error, so one odd
//! field never makes a record, let alone a file, unreadable. The Debian tracker and Alpine secdb
//! importers describe their documents with these, and the Red Hat CSAF VEX importer.

use std::fmt;
use std::marker::PhantomData;

use serde::de::value::MapAccessDeserializer;
use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

/// A scalar field of any JSON type: only a string or an unsigned integer is kept.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) enum Loose {
    /// The field is absent (with `#[serde(default)]`).
    #[default]
    Missing,
    /// A string.
    Text(String),
    /// A non-negative integer.
    Number(u64),
    /// A list: its string elements, in order (other elements are dropped).
    List(Vec<String>),
    /// `null`.
    Null,
    /// Anything else (a boolean, a negative or fractional number, an object).
    Other,
}

impl Loose {
    /// The string, when it is a non-empty one.
    pub(crate) fn text(&self) -> Option<&str> {
        match self {
            Self::Text(s) if !s.is_empty() => Some(s),
            _ => None,
        }
    }

    /// The number, when it is a non-negative integer.
    pub(crate) fn number(&self) -> Option<u64> {
        match self {
            Self::Number(n) => Some(*n),
            _ => None,
        }
    }

    /// True when the field is there at all, whatever its type (even `null`).
    pub(crate) fn is_present(&self) -> bool {
        !matches!(self, Self::Missing)
    }
}

impl<'de> Deserialize<'de> for Loose {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(LooseVisitor)
    }
}

struct LooseVisitor;

impl<'de> Visitor<'de> for LooseVisitor {
    type Value = Loose;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Loose, E> {
        Ok(Loose::Text(v.to_owned()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Loose, E> {
        Ok(Loose::Text(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Loose, E> {
        Ok(Loose::Number(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Loose, E> {
        Ok(u64::try_from(v).map_or(Loose::Other, Loose::Number))
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Loose, E> {
        Ok(Loose::Other)
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Loose, E> {
        Ok(Loose::Other)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Loose, E> {
        Ok(Loose::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<Loose, E> {
        Ok(Loose::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Loose, A::Error> {
        let mut texts = Vec::new();
        while let Some(item) = seq.next_element::<Self::Value>()? {
            if let Loose::Text(s) = item {
                texts.push(s);
            }
        }
        Ok(Loose::List(texts))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Loose, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Loose::Other)
    }
}

/// A field that should be a JSON object, read as `T` when it is one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) enum Shape<T> {
    /// The field is absent (with `#[serde(default)]`).
    #[default]
    Missing,
    /// An object, read as `T`.
    Object(T),
    /// An empty list (how some exports spell an empty object).
    EmptyList,
    /// Anything else.
    Other,
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Shape<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ShapeVisitor(PhantomData))
    }
}

struct ShapeVisitor<T>(PhantomData<T>);

impl<'de, T: Deserialize<'de>> Visitor<'de> for ShapeVisitor<T> {
    type Value = Shape<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Shape<T>, A::Error> {
        T::deserialize(MapAccessDeserializer::new(map)).map(Shape::Object)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Shape<T>, A::Error> {
        let mut n = 0usize;
        while seq.next_element::<IgnoredAny>()?.is_some() {
            n += 1;
        }
        Ok(if n == 0 { Shape::EmptyList } else { Shape::Other })
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<Shape<T>, E> {
        Ok(Shape::Other)
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Shape<T>, E> {
        Ok(Shape::Other)
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Shape<T>, E> {
        Ok(Shape::Other)
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Shape<T>, E> {
        Ok(Shape::Other)
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Shape<T>, E> {
        Ok(Shape::Other)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Shape<T>, E> {
        Ok(Shape::Other)
    }

    fn visit_none<E: de::Error>(self) -> Result<Shape<T>, E> {
        Ok(Shape::Other)
    }
}

/// A field that should be a JSON list of objects: the elements that are objects, read as `T`
/// (others are counted, not kept).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) enum Many<T> {
    /// The field is absent (with `#[serde(default)]`).
    #[default]
    Missing,
    /// A list: its object elements read as `T`, and how many elements were not objects.
    List(Vec<T>, usize),
    /// Anything else (a string, a number, an object, `null`).
    Other,
}

impl<T> Many<T> {
    /// The elements read (none unless the field is a list).
    pub(crate) fn items(&self) -> &[T] {
        match self {
            Self::List(items, _) => items,
            _ => &[],
        }
    }

    /// True when the field is there but is not a list.
    pub(crate) fn is_other(&self) -> bool {
        matches!(self, Self::Other)
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Many<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ManyVisitor(PhantomData))
    }
}

struct ManyVisitor<T>(PhantomData<T>);

impl<'de, T: Deserialize<'de>> Visitor<'de> for ManyVisitor<T> {
    type Value = Many<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Many<T>, A::Error> {
        let (mut items, mut odd) = (Vec::new(), 0usize);
        while let Some(item) = seq.next_element::<Shape<T>>()? {
            match item {
                Shape::Object(t) => items.push(t),
                _ => odd += 1,
            }
        }
        Ok(Many::List(items, odd))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Many<T>, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Many::Other)
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<Many<T>, E> {
        Ok(Many::Other)
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Many<T>, E> {
        Ok(Many::Other)
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Many<T>, E> {
        Ok(Many::Other)
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Many<T>, E> {
        Ok(Many::Other)
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Many<T>, E> {
        Ok(Many::Other)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Many<T>, E> {
        Ok(Many::Other)
    }

    fn visit_none<E: de::Error>(self) -> Result<Many<T>, E> {
        Ok(Many::Other)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    #[derive(Debug, Default, serde::Deserialize)]
    #[serde(default)]
    struct Probe {
        a: Loose,
        b: Shape<BTreeMap<String, Loose>>,
        c: Many<BTreeMap<String, Loose>>,
    }

    fn probe(json: &str) -> Probe {
        serde_json::from_str(json).unwrap_or_else(|e| panic!("{json}: {e}"))
    }

    #[test]
    fn any_type_is_read_without_error() {
        assert_eq!(probe(r#"{"a":"x"}"#).a.text(), Some("x"));
        assert_eq!(probe(r#"{"a":""}"#).a.text(), None);
        assert_eq!(probe(r#"{"a":7}"#).a.number(), Some(7));
        assert_eq!(probe(r#"{"a":-7}"#).a, Loose::Other);
        assert_eq!(probe(r#"{"a":["x",1,{"y":2},"z"]}"#).a, Loose::List(vec!["x".into(), "z".into()]));
        assert_eq!(probe(r#"{"a":null}"#).a, Loose::Null);
        assert!(probe(r#"{"a":null}"#).a.is_present());
        assert!(!probe("{}").a.is_present());
        for other in ["1.5", "true", r#"{"k":[1]}"#] {
            assert_eq!(probe(&format!(r#"{{"a":{other}}}"#)).a, Loose::Other, "{other}");
        }
        let b = probe(r#"{"b":{"k":"v"}}"#).b;
        assert!(matches!(b, Shape::Object(m) if m["k"].text() == Some("v")));
        assert_eq!(probe(r#"{"b":[]}"#).b, Shape::EmptyList);
        for other in ["[1]", "\"s\"", "3", "null", "false"] {
            assert_eq!(probe(&format!(r#"{{"b":{other}}}"#)).b, Shape::Other, "{other}");
        }
        assert_eq!(probe("{}").b, Shape::Missing);
        let c = probe(r#"{"c":[{"k":"v"},1,"x",{}]}"#).c;
        assert_eq!((c.items().len(), matches!(c, Many::List(_, 2))), (2, true));
        assert!(probe(r#"{"c":{"k":"v"}}"#).c.is_other());
        assert!(probe(r#"{"c":null}"#).c.is_other());
        assert!(probe("{}").c.items().is_empty() && !probe("{}").c.is_other());
    }
}
