//! `#[derive(Module)]` for tapegrad (use it as `tapegrad::Module`; see its documentation
//! there).
//!
//! The derive reads each field's type: a `Tensor` is a parameter (or a buffer with
//! `#[module(buffer)]`), `Vec`, `Option`, `Box` and arrays are looked through, anything else
//! is a submodule. It implements `tapegrad::nn::Module` with PyTorch's state-dict names and
//! order (a module's own parameters, its own buffers, then each child's), `train` reaching
//! every child, `children` for `summary`, and a `forward` that calls the struct's own
//! inherent `forward` method.

use proc_macro::TokenStream;
use proc_macro2::TokenStream as Tokens;
use quote::{format_ident, quote};
use syn::{
    Data, DeriveInput, Fields, GenericArgument, GenericParam, PathArguments, Type,
    parse_macro_input, parse_quote,
};

/// What a field holds, read from its type.
enum Kind {
    Tensor,
    Module,
    Vec(Box<Kind>),
    Option(Box<Kind>),
    Boxed(Box<Kind>),
    Array(Box<Kind>),
}

impl Kind {
    fn of(ty: &Type) -> Kind {
        match ty {
            Type::Array(a) => Kind::Array(Box::new(Kind::of(&a.elem))),
            Type::Group(g) => Kind::of(&g.elem),
            Type::Paren(p) => Kind::of(&p.elem),
            Type::Path(p) => {
                let Some(last) = p.path.segments.last() else {
                    return Kind::Module;
                };
                let inner = match &last.arguments {
                    PathArguments::AngleBracketed(a) => a.args.iter().find_map(|g| match g {
                        GenericArgument::Type(t) => Some(t),
                        _ => None,
                    }),
                    _ => None,
                };
                match (last.ident.to_string().as_str(), inner) {
                    ("Tensor", _) => Kind::Tensor,
                    ("Vec", Some(t)) => Kind::Vec(Box::new(Kind::of(t))),
                    ("Option", Some(t)) => Kind::Option(Box::new(Kind::of(t))),
                    ("Box", Some(t)) => Kind::Boxed(Box::new(Kind::of(t))),
                    _ => Kind::Module,
                }
            }
            _ => Kind::Module,
        }
    }

    /// A tensor directly, or an optional one: the module's own parameter or buffer (the
    /// rest are children, PyTorch's submodules and parameter lists).
    fn is_own(&self) -> bool {
        match self {
            Kind::Tensor => true,
            Kind::Option(k) => matches!(**k, Kind::Tensor),
            _ => false,
        }
    }
}

/// How a field takes part.
#[derive(Clone, Copy, PartialEq)]
enum Role {
    Parameter,
    Buffer,
    Skip,
    /// A `bool` that `train` sets and `is_training` reads.
    Training,
}

/// Types that are never modules or tensors (a layer's settings): left out without
/// `#[module(skip)]`, as PyTorch ignores plain attributes.
fn is_plain(ty: &Type) -> bool {
    const PLAIN: &[&str] = &[
        "f32",
        "f64",
        "i8",
        "i16",
        "i32",
        "i64",
        "i128",
        "isize",
        "u8",
        "u16",
        "u32",
        "u64",
        "u128",
        "usize",
        "bool",
        "char",
        "String",
        "PhantomData",
        "PadMode",
        "Reduction",
    ];
    match ty {
        Type::Tuple(_) | Type::Reference(_) | Type::Ptr(_) | Type::FnPtr(_) => true,
        Type::Group(g) => is_plain(&g.elem),
        Type::Paren(p) => is_plain(&p.elem),
        Type::Path(p) => p
            .path
            .segments
            .last()
            .is_some_and(|s| PLAIN.contains(&s.ident.to_string().as_str())),
        _ => false,
    }
}

/// Code for every leaf (tensor or module) inside a field: `expr` is a reference to the
/// value, `name` a `String` expression; `tensor` and `module` make the code for a leaf.
fn walk(
    kind: &Kind,
    expr: Tokens,
    name: Tokens,
    depth: usize,
    mutable: bool,
    leaf: &dyn Fn(bool, Tokens, Tokens) -> Tokens,
) -> Tokens {
    let item = format_ident!("__item{}", depth);
    let index = format_ident!("__index{}", depth);
    let label = format_ident!("__name{}", depth);
    match kind {
        Kind::Tensor => leaf(true, expr, name),
        Kind::Module => leaf(false, expr, name),
        Kind::Vec(k) | Kind::Array(k) => {
            let inner = walk(k, quote!(#item), quote!(#label), depth + 1, mutable, leaf);
            let iter = if mutable {
                quote!(iter_mut)
            } else {
                quote!(iter)
            };
            quote! {
                for (#index, #item) in (#expr).#iter().enumerate() {
                    let #label = ::std::format!("{}.{}", #name, #index);
                    #inner
                }
            }
        }
        Kind::Option(k) => {
            let inner = walk(k, quote!(#item), name, depth + 1, mutable, leaf);
            let as_ref = if mutable {
                quote!(as_mut)
            } else {
                quote!(as_ref)
            };
            quote! {
                if let ::std::option::Option::Some(#item) = (#expr).#as_ref() {
                    #inner
                }
            }
        }
        Kind::Boxed(k) => {
            let deref = if mutable {
                quote!(&mut **#expr)
            } else {
                quote!(&**#expr)
            };
            walk(k, deref, name, depth + 1, mutable, leaf)
        }
    }
}

/// `#[derive(Module)]`: see `tapegrad::Module`.
#[proc_macro_derive(Module, attributes(module))]
pub fn derive_module(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    match expand(input) {
        Ok(tokens) => tokens.into(),
        Err(e) => e.to_compile_error().into(),
    }
}

fn expand(input: DeriveInput) -> syn::Result<Tokens> {
    let Data::Struct(data) = &input.data else {
        return Err(syn::Error::new_spanned(
            &input.ident,
            "#[derive(Module)] works on structs (fields are the parameters and submodules)",
        ));
    };

    // The element type: `#[module(element = f64)]`, else the struct's first type
    // parameter, else f64 if a field's type names it, else f32.
    let mut element: Option<Type> = None;
    for attr in input.attrs.iter().filter(|a| a.path().is_ident("module")) {
        attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("element") {
                element = Some(meta.value()?.parse()?);
                Ok(())
            } else {
                Err(meta.error("expected `element = f32` or `element = f64`"))
            }
        })?;
    }
    let mut generics = input.generics.clone();
    let element: Type = match element {
        Some(t) => t,
        None => match generics.params.iter().find_map(|p| match p {
            GenericParam::Type(t) => Some(t.ident.clone()),
            _ => None,
        }) {
            Some(ident) => {
                generics
                    .make_where_clause()
                    .predicates
                    .push(parse_quote!(#ident: ::tapegrad::Float));
                parse_quote!(#ident)
            }
            // No type parameter: the float type the fields name (`Linear<f64>`), else f32.
            None => {
                let names_f64 = data.fields.iter().any(|f| {
                    let ty = &f.ty;
                    quote!(#ty)
                        .to_string()
                        .split(|c: char| !c.is_alphanumeric())
                        .any(|w| w == "f64")
                });
                if names_f64 {
                    parse_quote!(f64)
                } else {
                    parse_quote!(f32)
                }
            }
        },
    };

    let mut fields = Vec::new();
    for (i, field) in data.fields.iter().enumerate() {
        let mut role = Role::Parameter;
        for attr in field.attrs.iter().filter(|a| a.path().is_ident("module")) {
            attr.parse_nested_meta(|meta| {
                if meta.path.is_ident("skip") {
                    role = Role::Skip;
                    Ok(())
                } else if meta.path.is_ident("buffer") {
                    role = Role::Buffer;
                    Ok(())
                } else if meta.path.is_ident("training") {
                    role = Role::Training;
                    Ok(())
                } else {
                    Err(meta.error("expected `skip`, `buffer` or `training`"))
                }
            })?;
        }
        if role == Role::Parameter && is_plain(&field.ty) {
            role = Role::Skip;
        }
        if role == Role::Skip {
            continue;
        }
        let (access, name) = match &field.ident {
            Some(ident) => (quote!(#ident), ident.to_string()),
            None => {
                let index = syn::Index::from(i);
                (quote!(#index), i.to_string())
            }
        };
        fields.push((access, name, Kind::of(&field.ty), role));
    }
    if matches!(data.fields, Fields::Unit) {
        fields.clear();
    }

    let module = quote!(::tapegrad::nn::Module::<#element>);
    let prefixed = quote!(::tapegrad::nn::__derive::prefixed);

    // Own tensors of one role, in field order.
    let training: Vec<&Tokens> = fields
        .iter()
        .filter(|f| f.3 == Role::Training)
        .map(|f| &f.0)
        .collect();
    let fields: Vec<_> = fields.iter().filter(|f| f.3 != Role::Training).collect();
    let own = |want: Role| -> Vec<Tokens> {
        fields
            .iter()
            .filter(|(_, _, kind, role)| *role == want && kind.is_own())
            .map(|(access, name, kind, _)| {
                walk(
                    kind,
                    quote!(&self.#access),
                    quote!(::std::string::String::from(#name)),
                    0,
                    false,
                    &|_, expr, name| quote!(__out.push((#name, ::std::clone::Clone::clone(#expr)));),
                )
            })
            .collect()
    };
    // Children (submodules, lists of tensors), in field order; `tensor(role)` and `module`
    // make the code for their leaves.
    let children = |tensor: &dyn Fn(Role, Tokens, Tokens) -> Tokens,
                    module: &dyn Fn(Tokens, Tokens) -> Tokens|
     -> Vec<Tokens> {
        fields
            .iter()
            .filter(|(_, _, kind, _)| !kind.is_own())
            .map(|(access, name, kind, role)| {
                walk(
                    kind,
                    quote!(&self.#access),
                    quote!(::std::string::String::from(#name)),
                    0,
                    false,
                    &|is_tensor, expr, name| {
                        if is_tensor {
                            tensor(*role, expr, name)
                        } else {
                            module(expr, name)
                        }
                    },
                )
            })
            .collect()
    };
    let push_if = |want: Role| {
        move |role: Role, expr: Tokens, name: Tokens| {
            if role == want {
                quote!(__out.push((#name, ::std::clone::Clone::clone(#expr)));)
            } else {
                quote!()
            }
        }
    };

    let own_params = own(Role::Parameter);
    let own_buffers = own(Role::Buffer);
    let child_params = children(
        &push_if(Role::Parameter),
        &|expr, name| quote!(__out.extend(#prefixed(&#name, #module::named_parameters(#expr)));),
    );
    let child_buffers = children(
        &push_if(Role::Buffer),
        &|expr, name| quote!(__out.extend(#prefixed(&#name, #module::named_buffers(#expr)));),
    );
    let child_state = children(
        &|role, expr, name| {
            if role == Role::Skip {
                quote!()
            } else {
                quote!(__out.push((#name, ::std::clone::Clone::clone(#expr)));)
            }
        },
        &|expr, name| quote!(__out.extend(#prefixed(&#name, #module::state_dict(#expr)));),
    );
    let child_list = children(
        &|_, _, _| quote!(),
        &|expr, name| quote!(__out.push((#name, #expr as &dyn ::tapegrad::nn::Module<#element>));),
    );
    let train: Vec<Tokens> = fields
        .iter()
        .filter(|(_, _, kind, _)| !kind.is_own())
        .map(|(access, _, kind, _)| {
            walk(
                kind,
                quote!(&mut self.#access),
                quote!(""),
                0,
                true,
                &|is_tensor, expr, _| {
                    if is_tensor {
                        quote!()
                    } else {
                        quote!(#module::train(#expr, __mode);)
                    }
                },
            )
        })
        .collect();

    let training_state = match training.first() {
        Some(flag) => quote! {
            fn training_state(&self) -> ::std::option::Option<bool> {
                ::std::option::Option::Some(self.#flag)
            }
        },
        None => quote!(),
    };
    let ident = &input.ident;
    let (impl_generics, ty_generics, where_clause) = generics.split_for_impl();
    let tensor = quote!(::tapegrad::Tensor<#element>);
    Ok(quote! {
        impl #impl_generics ::tapegrad::nn::Module<#element> for #ident #ty_generics #where_clause {
            /// Calls the struct's own `forward` method (an inherent method: the derive finds
            /// it; without one, this does not compile: "cannot return without recursing").
            #[track_caller]
            #[deny(unconditional_recursion)]
            fn forward(&self, x: &#tensor) -> #tensor {
                Self::forward(self, x)
            }

            fn named_parameters(&self) -> ::std::vec::Vec<(::std::string::String, #tensor)> {
                let mut __out = ::std::vec::Vec::new();
                #(#own_params)*
                #(#child_params)*
                __out
            }

            fn named_buffers(&self) -> ::std::vec::Vec<(::std::string::String, #tensor)> {
                let mut __out = ::std::vec::Vec::new();
                #(#own_buffers)*
                #(#child_buffers)*
                __out
            }

            fn state_dict(&self) -> ::std::vec::Vec<(::std::string::String, #tensor)> {
                let mut __out = ::std::vec::Vec::new();
                #(#own_params)*
                #(#own_buffers)*
                #(#child_state)*
                __out
            }

            fn train(&mut self, __mode: bool) {
                #(self.#training = __mode;)*
                #(#train)*
            }

            #training_state

            fn children(&self) -> ::std::vec::Vec<(::std::string::String, &dyn ::tapegrad::nn::Module<#element>)> {
                let mut __out = ::std::vec::Vec::new();
                #(#child_list)*
                __out
            }
        }
    })
}
