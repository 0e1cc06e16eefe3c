//! Internally tagged enums (`model: duty_cycle` beside the variant's own fields), read without
//! buffering the mapping.
//!
//! serde's derived `#[serde(tag = "...")]` reads the whole mapping into an untyped buffer
//! before it knows the variant, then reads the variant from that buffer. Errors raised there
//! carry neither the field's path nor its line (`confirmations: 1.5` gave "invalid type:
//! floating point `1.5`, expected u32" at the line of the file's first key), and the buffer
//! accepts a number as the tag (`model: 0` chose the first variant). Here the tag is read
//! first, as a string that must name a variant, and the variant's fields are then read from
//! the same live mapping, so serde_yaml keeps tracking the path and line of every field.
//!
//! [`tagged_enum!`] writes the enum with a derived `Serialize` (internally tagged, as before)
//! and a `Deserialize` that goes through a serde "remote" twin of the enum derived as
//! externally tagged: serde drives the twin through `deserialize_enum`, which [`Internally`]
//! answers from the tagged mapping.
//!
//! Entries written before the tag cannot be read before the variant is known; they are kept
//! as YAML values and replayed first, and their errors name the field in the message (the
//! line is then that of the enclosing mapping). Scenario files put the tag first.

use std::fmt;

use serde::de::value::{MapAccessDeserializer, StrDeserializer};
use serde::de::{
    self, DeserializeSeed, Deserializer, EnumAccess, Error as _, IntoDeserializer, MapAccess,
    VariantAccess, Visitor,
};

/// Declares an internally tagged enum (`tag` names the key holding the variant, spelled in
/// snake case; unknown fields are refused) whose errors keep their path and line. `$twin` is a
/// private copy of the enum that serde derives the reading code on.
macro_rules! tagged_enum {
    (
        tag = $tag:literal, twin = $twin:ident as $remote:literal;
        $(#[$attr:meta])*
        $vis:vis enum $name:ident { $($body:tt)* }
    ) => {
        $(#[$attr])*
        #[derive(serde::Serialize, schemars::JsonSchema)]
        #[serde(tag = $tag, rename_all = "snake_case", deny_unknown_fields)]
        $vis enum $name { $($body)* }

        $(#[$attr])*
        #[derive(serde::Deserialize)]
        #[serde(remote = $remote, rename_all = "snake_case", deny_unknown_fields)]
        #[allow(dead_code)]
        enum $twin { $($body)* }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                $twin::deserialize($crate::scenario::tagged::Internally::new(d, $tag))
            }
        }
    };
}
pub(crate) use tagged_enum;

/// A deserializer that presents a mapping holding `tag: variant` and the variant's fields as
/// an externally tagged enum.
pub struct Internally<D> {
    inner: D,
    tag: &'static str,
}

impl<D> Internally<D> {
    pub fn new(inner: D, tag: &'static str) -> Self {
        Internally { inner, tag }
    }
}

impl<'de, D: Deserializer<'de>> Deserializer<'de> for Internally<D> {
    type Error = D::Error;

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.inner.deserialize_map(TagFirst {
            tag: self.tag,
            variants,
            visitor,
        })
    }

    fn deserialize_any<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, D::Error> {
        // Only the derived twin calls this deserializer, and it asks for an enum.
        Err(D::Error::custom(
            "a tagged section can only be read as an enum",
        ))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map struct identifier
        ignored_any
    }
}

/// Reads the mapping up to its tag, then hands the rest to the variant.
struct TagFirst<V> {
    tag: &'static str,
    variants: &'static [&'static str],
    visitor: V,
}

impl<'de, V: Visitor<'de>> Visitor<'de> for TagFirst<V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(
            f,
            "a mapping whose `{}` is one of {}",
            self.tag,
            self.variants.join(", ")
        )
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<V::Value, A::Error> {
        let mut before = Vec::new();
        let variant = loop {
            match map.next_key::<String>()? {
                None => return Err(A::Error::missing_field(self.tag)),
                Some(key) if key == self.tag => {
                    break map.next_value_seed(VariantName(self.variants))?;
                }
                Some(key) => {
                    let value: serde_yaml::Value = map.next_value()?;
                    before.push((key, value));
                }
            }
        };
        self.visitor.visit_enum(Body {
            variant,
            before: before.into_iter(),
            pending: None,
            rest: map,
        })
    }
}

/// The tag's value: a string naming one of the variants (a number or a mapping is refused).
struct VariantName(&'static [&'static str]);

impl<'de> DeserializeSeed<'de> for VariantName {
    type Value = &'static str;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<&'static str, D::Error> {
        d.deserialize_str(self)
    }
}

impl Visitor<'_> for VariantName {
    type Value = &'static str;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "one of {}", self.0.join(", "))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<&'static str, E> {
        self.0
            .iter()
            .find(|name| **name == v)
            .copied()
            .ok_or_else(|| E::unknown_variant(v, self.0))
    }
}

/// The variant's fields: entries met before the tag, then the rest of the live mapping.
struct Body<A> {
    variant: &'static str,
    before: std::vec::IntoIter<(String, serde_yaml::Value)>,
    pending: Option<(String, serde_yaml::Value)>,
    rest: A,
}

impl<'de, A: MapAccess<'de>> EnumAccess<'de> for Body<A> {
    type Error = A::Error;
    type Variant = Self;

    fn variant_seed<S: DeserializeSeed<'de>>(self, seed: S) -> Result<(S::Value, Self), A::Error> {
        let name: StrDeserializer<A::Error> = self.variant.into_deserializer();
        Ok((seed.deserialize(name)?, self))
    }
}

impl<'de, A: MapAccess<'de>> VariantAccess<'de> for Body<A> {
    type Error = A::Error;

    fn unit_variant(mut self) -> Result<(), A::Error> {
        match self.next_key::<String>()? {
            Some(key) => Err(A::Error::unknown_field(&key, &[])),
            None => Ok(()),
        }
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, A::Error> {
        seed.deserialize(MapAccessDeserializer::new(self))
    }

    fn tuple_variant<V: Visitor<'de>>(
        self,
        _len: usize,
        _visitor: V,
    ) -> Result<V::Value, A::Error> {
        Err(A::Error::custom("a tagged section has no tuple variants"))
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, A::Error> {
        visitor.visit_map(self)
    }
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for Body<A> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        match self.before.next() {
            Some((key, value)) => {
                let name: StrDeserializer<A::Error> = key.as_str().into_deserializer();
                let k = seed.deserialize(name)?;
                self.pending = Some((key, value));
                Ok(Some(k))
            }
            None => self.rest.next_key_seed(seed),
        }
    }

    fn next_value_seed<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<S::Value, A::Error> {
        match self.pending.take() {
            Some((key, value)) => seed
                .deserialize(value)
                .map_err(|e| A::Error::custom(format_args!("{key}: {e}"))),
            None => self.rest.next_value_seed(seed),
        }
    }
}
