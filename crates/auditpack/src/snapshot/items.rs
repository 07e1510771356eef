//! Items: the objects of one kind, held compact.
//!
//! A parsed `serde_json::Value` costs about six times the object's JSON in memory (every
//! key a heap string, every map an index table). A snapshot of a large cluster holds
//! hundreds of thousands of objects, so each is kept as its compact JSON text beside its
//! namespace and name. Checks that walk a kind many times get it parsed once
//! ([`Items::values`]); writers stream each item from its text into any serializer (the
//! snapshot's pretty JSON, the evidence YAML) without a parsed copy, and give exactly the
//! bytes the parsed value would; reading a snapshot goes from text to compact text without
//! building values at all.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::object_ref;

/// One object of a kind: a view of its compact JSON text, namespace and name.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Item<'a> {
    namespace: &'a str,
    name: &'a str,
    json: &'a str,
}

impl<'a> Item<'a> {
    /// `metadata.namespace`, or `""`.
    pub fn namespace(&self) -> &'a str {
        self.namespace
    }

    /// `metadata.name`, or `""`.
    pub fn name(&self) -> &'a str {
        self.name
    }

    /// The object as compact JSON.
    pub fn json(&self) -> &'a str {
        self.json
    }

    /// The object, parsed.
    pub fn value(&self) -> Value {
        serde_json::from_str(self.json).expect("item JSON is valid")
    }
}

impl std::fmt::Debug for Item<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.json)
    }
}

impl Serialize for Item<'_> {
    /// Streams the item's JSON into any serializer (JSON, YAML) without parsing it into a
    /// `Value` first; the output is what serializing the parsed `Value` would give.
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut de = serde_json::Deserializer::from_str(self.json);
        serde_transcode::Transcoder::new(&mut de).serialize(serializer)
    }
}

/// Reads `metadata.namespace` and `metadata.name` from an object's JSON exactly as
/// [`object_ref`] reads them from a `Value` (an object's `metadata` object's string
/// fields), skipping everything else without building it.
struct Head(Option<Meta>);
/// `(namespace, name)`, `""` where not a string.
struct Meta(Box<str>, Box<str>);
/// Any JSON value: a string's text, or `None` for anything else.
struct MaybeStr(Option<Box<str>>);

impl<'de> Deserialize<'de> for Head {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Head;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut m: A) -> Result<Head, A::Error> {
                let mut meta = None;
                while let Some(k) = m.next_key::<std::borrow::Cow<'de, str>>()? {
                    if k == "metadata" {
                        meta = m.next_value::<MetaOrNot>()?.0;
                    } else {
                        m.next_value::<serde::de::IgnoredAny>()?;
                    }
                }
                Ok(Head(meta))
            }
        }
        d.deserialize_map(V)
    }
}

/// Visitor methods that take a number, a boolean or null as `$t(None)`.
macro_rules! other_scalars_are_none {
    ($t:ident) => {
        fn visit_bool<E>(self, _: bool) -> Result<$t, E> {
            Ok($t(None))
        }
        fn visit_i64<E>(self, _: i64) -> Result<$t, E> {
            Ok($t(None))
        }
        fn visit_u64<E>(self, _: u64) -> Result<$t, E> {
            Ok($t(None))
        }
        fn visit_f64<E>(self, _: f64) -> Result<$t, E> {
            Ok($t(None))
        }
        fn visit_unit<E>(self) -> Result<$t, E> {
            Ok($t(None))
        }
    };
}

/// `metadata`: a [`Meta`] when it is an object, else `None`.
struct MetaOrNot(Option<Meta>);

impl<'de> Deserialize<'de> for MetaOrNot {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = MetaOrNot;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("any value")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut m: A,
            ) -> Result<MetaOrNot, A::Error> {
                let (mut ns, mut name) = (Box::default(), Box::default());
                while let Some(k) = m.next_key::<std::borrow::Cow<'de, str>>()? {
                    let v = m.next_value::<MaybeStr>()?.0;
                    // A repeated key: the last one counts, as when parsing a `Value`.
                    match &*k {
                        "namespace" => ns = v.unwrap_or_default(),
                        "name" => name = v.unwrap_or_default(),
                        _ => {}
                    }
                }
                Ok(MetaOrNot(Some(Meta(ns, name))))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut s: A,
            ) -> Result<MetaOrNot, A::Error> {
                while s.next_element::<serde::de::IgnoredAny>()?.is_some() {}
                Ok(MetaOrNot(None))
            }
            fn visit_str<E>(self, _: &str) -> Result<MetaOrNot, E> {
                Ok(MetaOrNot(None))
            }
            other_scalars_are_none!(MetaOrNot);
        }
        d.deserialize_any(V)
    }
}

impl<'de> Deserialize<'de> for MaybeStr {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = MaybeStr;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("any value")
            }
            fn visit_str<E>(self, v: &str) -> Result<MaybeStr, E> {
                Ok(MaybeStr(Some(v.into())))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut m: A,
            ) -> Result<MaybeStr, A::Error> {
                while m
                    .next_entry::<serde::de::IgnoredAny, serde::de::IgnoredAny>()?
                    .is_some()
                {}
                Ok(MaybeStr(None))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut s: A,
            ) -> Result<MaybeStr, A::Error> {
                while s.next_element::<serde::de::IgnoredAny>()?.is_some() {}
                Ok(MaybeStr(None))
            }
            other_scalars_are_none!(MaybeStr);
        }
        d.deserialize_any(V)
    }
}

/// The objects of one kind, compact: every object's JSON text, namespace and name end to
/// end in one buffer (no allocation per object), parsed only on demand.
#[derive(Clone, Default)]
pub struct Items {
    text: String,
    entries: Vec<Entry>,
    parsed: std::sync::OnceLock<Vec<Value>>,
}

/// Where one object lies in [`Items::text`]: `[start, json) = JSON`, `[json, ns) =
/// namespace`, `[ns, name) = name`.
#[derive(Debug, Clone, Copy)]
struct Entry {
    start: usize,
    json: usize,
    ns: usize,
    name: usize,
}

impl Items {
    fn view<'a>(text: &'a str, e: &Entry) -> Item<'a> {
        Item {
            json: &text[e.start..e.json],
            namespace: &text[e.json..e.ns],
            name: &text[e.ns..e.name],
        }
    }

    /// Number of objects.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when there are none.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The object at `index` (in the order added or last sorted).
    pub fn get(&self, index: usize) -> Option<Item<'_>> {
        self.entries.get(index).map(|e| Self::view(&self.text, e))
    }

    /// The objects, compact, in order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = Item<'_>> + '_ {
        self.entries.iter().map(|e| Self::view(&self.text, e))
    }

    /// The objects parsed, in order. Parsed once and kept, for checks that walk a kind
    /// many times; writers should stream [`Items::iter`] instead.
    pub fn values(&self) -> &[Value] {
        self.parsed.get_or_init(|| self.parse_all())
    }

    fn push_parts(&mut self, json: &str, namespace: &str, name: &str) {
        self.parsed.take();
        let start = self.text.len();
        self.text.push_str(json);
        let json = self.text.len();
        self.text.push_str(namespace);
        let ns = self.text.len();
        self.text.push_str(name);
        self.entries.push(Entry {
            start,
            json,
            ns,
            name: self.text.len(),
        });
    }

    /// Whether a parsed copy is being kept ([`Items::values`] was called since the last
    /// change): what a large snapshot should not carry around.
    pub fn is_parsed(&self) -> bool {
        self.parsed.get().is_some()
    }

    /// The objects parsed afresh, in order (nothing kept).
    pub fn parse_all(&self) -> Vec<Value> {
        self.iter().map(|i| i.value()).collect()
    }

    /// The objects of one namespace parsed afresh, in order; the others are not parsed.
    pub fn parse_in(&self, namespace: &str) -> Vec<Value> {
        self.iter()
            .filter(|i| i.namespace() == namespace)
            .map(|i| i.value())
            .collect()
    }

    /// Adds an object (from another list).
    pub fn push(&mut self, item: Item<'_>) {
        self.push_parts(item.json, item.namespace, item.name);
    }

    /// Adds an object given as a value.
    pub fn push_value(&mut self, object: &Value) {
        let json = serde_json::to_string(object).expect("a JSON value serializes");
        let (namespace, name) = object_ref(object);
        self.push_parts(&json, namespace, name);
    }

    /// Keeps only the objects `keep` accepts (their text stays in the buffer until the
    /// list is next rebuilt).
    pub fn retain(&mut self, mut keep: impl FnMut(Item<'_>) -> bool) {
        self.parsed.take();
        let text = &self.text;
        self.entries.retain(|e| keep(Self::view(text, e)));
    }

    /// Removes every object.
    pub fn clear(&mut self) {
        *self = Items::default();
    }

    /// Sorts by namespace then name (stable).
    pub fn sort(&mut self) {
        self.parsed.take();
        let text = &self.text;
        self.entries.sort_by(|a, b| {
            let (a, b) = (Self::view(text, a), Self::view(text, b));
            (a.namespace, a.name).cmp(&(b.namespace, b.name))
        });
    }

    /// Edits the objects as parsed values (tests and small fix-ups; it parses them all).
    pub fn edit(&mut self, f: impl FnOnce(&mut Vec<Value>)) {
        let mut values: Vec<Value> = self.iter().map(|i| i.value()).collect();
        f(&mut values);
        *self = values.into_iter().collect();
    }
}

impl PartialEq for Items {
    fn eq(&self, other: &Self) -> bool {
        self.iter().eq(other.iter())
    }
}

impl std::fmt::Debug for Items {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl FromIterator<Value> for Items {
    fn from_iter<I: IntoIterator<Item = Value>>(iter: I) -> Self {
        let mut items = Items::default();
        for v in iter {
            items.push_value(&v);
        }
        items
    }
}

impl Serialize for Items {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.iter())
    }
}

impl<'de> Deserialize<'de> for Items {
    /// Reads each element straight into compact text, never building a `Value`.
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        /// Transcodes one element into the scratch buffer.
        struct Seed<'s>(&'s mut Vec<u8>);
        impl<'de> serde::de::DeserializeSeed<'de> for Seed<'_> {
            type Value = ();
            fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
                self.0.clear();
                serde_transcode::transcode(d, &mut serde_json::Serializer::new(&mut *self.0))
                    .map_err(serde::de::Error::custom)
            }
        }
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = Items;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a list of objects")
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<Items, A::Error> {
                let mut items = Items::default();
                let mut scratch = Vec::with_capacity(4096);
                while seq.next_element_seed(Seed(&mut scratch))?.is_some() {
                    let json = std::str::from_utf8(&scratch).map_err(serde::de::Error::custom)?;
                    let (ns, name) = match serde_json::from_str::<Head>(json) {
                        Ok(Head(Some(Meta(ns, name)))) => (ns, name),
                        _ => (Box::default(), Box::default()),
                    };
                    items.push_parts(json, &ns, &name);
                }
                Ok(items)
            }
        }
        deserializer.deserialize_seq(Visit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Any JSON value: escapes, unicode, floats, large and negative integers, empty and
    /// nested containers, duplicate-free keys in random order.
    fn json_value() -> impl proptest::strategy::Strategy<Value = Value> {
        use proptest::prelude::*;
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            any::<f64>()
                .prop_filter("finite", |f| f.is_finite())
                .prop_map(Value::from),
            ".{0,12}".prop_map(Value::from),
            "[\\\\\"\u{0}-\u{1f}a/é漢😀]{0,6}".prop_map(Value::from),
        ];
        leaf.prop_recursive(4, 48, 6, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                proptest::collection::vec(("[a-z\"\\\\é]{0,6}", inner), 0..6)
                    .prop_map(|kv| Value::Object(kv.into_iter().collect())),
            ]
        })
    }

    proptest::proptest! {
        /// Items written from their compact text give exactly the bytes the parsed values
        /// give, in compact JSON, pretty JSON (the snapshot file form) and YAML (the
        /// evidence files); read back, they are the same items.
        #[test]
        fn compact_items_serialize_exactly_like_their_values(
            values in proptest::collection::vec(json_value(), 0..5),
        ) {
            let items: Items = values.iter().cloned().collect();
            proptest::prop_assert_eq!(items.values(), values.as_slice());
            proptest::prop_assert_eq!(
                serde_json::to_string(&items).unwrap(),
                serde_json::to_string(&values).unwrap()
            );
            let pretty = serde_json::to_string_pretty(&items).unwrap();
            proptest::prop_assert_eq!(&pretty, &serde_json::to_string_pretty(&values).unwrap());
            proptest::prop_assert_eq!(
                serde_saphyr::to_string(&items).unwrap(),
                serde_saphyr::to_string(&values).unwrap()
            );
            let back: Items = serde_json::from_str(&pretty).unwrap();
            proptest::prop_assert_eq!(&back, &items);
            for (item, v) in back.iter().zip(&values) {
                proptest::prop_assert_eq!(item.json(), serde_json::to_string(v).unwrap());
                let (ns, name) = object_ref(v);
                proptest::prop_assert_eq!((item.namespace(), item.name()), (ns, name));
            }
        }
    }

    #[test]
    fn item_reads_namespace_and_name_like_object_ref() {
        for v in [
            json!({"metadata": {"name": "a\"b", "namespace": "n\u{e9}"}}),
            json!({"metadata": {"name": 7, "namespace": "n"}}),
            json!({"metadata": ["a", "b"]}),
            json!({"metadata": {"name": {"x": "y"}, "namespace": ["n"]}}),
            json!([{"metadata": {"name": "a"}}]),
            json!({"metadata": null}),
            json!(["not", "an", "object"]),
            json!({"kind": "Pod"}),
        ] {
            let item: Items = serde_json::from_value(json!([v.clone()])).unwrap();
            let item = item.iter().next().unwrap();
            assert_eq!((item.namespace(), item.name()), object_ref(&v), "{v}");
        }
    }

    #[test]
    fn parse_in_parses_one_namespace_and_keeps_nothing() {
        let items: Items = [
            json!({"metadata": {"name": "a", "namespace": "x"}}),
            json!({"metadata": {"name": "b", "namespace": "y"}}),
            json!({"metadata": {"name": "c", "namespace": "x"}}),
        ]
        .into_iter()
        .collect();
        let names: Vec<Value> = items
            .parse_in("x")
            .iter()
            .map(|v| v["metadata"]["name"].clone())
            .collect();
        assert_eq!(names, [json!("a"), json!("c")]);
        assert!(items.parse_in("z").is_empty());
        assert!(!items.is_parsed());
    }

    #[test]
    fn editing_items_drops_the_parsed_copy() {
        let mut items: Items = [json!({"metadata": {"name": "b"}})].into_iter().collect();
        assert_eq!(items.values().len(), 1);
        items.push_value(&json!({"metadata": {"name": "a"}}));
        assert_eq!(items.values().len(), 2);
        items.sort();
        assert_eq!(items.values()[0]["metadata"]["name"], "a");
        items.retain(|i| i.name() != "a");
        assert_eq!(items.values(), [json!({"metadata": {"name": "b"}})]);
        items.edit(|v| v[0]["metadata"]["name"] = json!("c"));
        assert_eq!(items.iter().next().unwrap().name(), "c");
        assert_eq!(items.values()[0]["metadata"]["name"], "c");
        items.clear();
        assert!(items.values().is_empty());
    }
}
