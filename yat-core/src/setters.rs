//! The builder methods of the value types: each sets one field and returns
//! the value, so that a request, a model or a capability set reads as one
//! expression.

/// Writes one setter per `setter(Type) => field`, each documented as
/// setting that field. `Some:` wraps the value for an optional field;
/// `into:` converts it (`impl Into<String>` arguments); `as_is:` stores it
/// unchanged. `const` setters are for types without
/// destructors.
///
/// ```ignore
/// setters! { Usage, const, Some:
///     with_cache_read(u64) => cache_read_tokens,
/// }
/// ```
macro_rules! setters {
    ($ty:ident, const, $wrap:ident: $($setter:ident($t:ty) => $field:ident),* $(,)?) => {
        $( $crate::setters::setters!(@one [const] $ty, $wrap, $setter, $t, $field); )*
    };
    ($ty:ident, fn, $wrap:ident: $($setter:ident($t:ty) => $field:ident),* $(,)?) => {
        $( $crate::setters::setters!(@one [] $ty, $wrap, $setter, $t, $field); )*
    };
    (@one [$($c:tt)?] $ty:ident, $wrap:ident, $setter:ident, $t:ty, $field:ident) => {
        #[doc = concat!("Sets [`", stringify!($ty), "::", stringify!($field), "`].")]
        pub $($c)? fn $setter(mut self, value: $t) -> Self {
            self.$field = $crate::setters::setters!(@wrap $wrap value);
            self
        }
    };
    (@wrap Some $v:ident) => { Some($v) };
    (@wrap into $v:ident) => { $v.into() };
    (@wrap as_is $v:ident) => { $v };
}

pub(crate) use setters;
