//! The names pass: every product, plan, pack and dimension, by slug and display name, and the lookups later passes resolve references with.

use super::prelude::*;
use rustc_hash::FxHashMap;
use std::collections::hash_map::Entry;

/// Statements seen in one block, by keyword, with where each was first given: a handful per
/// block, so a list beats hashing, and the first [`SEEN_INLINE`] live on the stack (one
/// allocation per product or plan was a cost on a book of thousands).
#[derive(Default)]
pub(super) struct Seen {
    inline: [(&'static str, Span); SEEN_INLINE],
    len: usize,
    more: Vec<(&'static str, Span)>,
}

/// More than the kinds of statement a block counts once.
const SEEN_INLINE: usize = 16;

impl Seen {
    pub(super) fn get(&self, key: &str) -> Option<&Span> {
        self.inline
            .iter()
            .take(self.len)
            .chain(&self.more)
            .find(|(k, _)| *k == key)
            .map(|(_, s)| s)
    }
    pub(super) fn contains_key(&self, key: &str) -> bool {
        self.get(key).is_some()
    }
    /// Records `key`; callers only insert keys they have not seen.
    pub(super) fn insert(&mut self, key: &'static str, span: Span) {
        match self.inline.get_mut(self.len) {
            Some(slot) => {
                *slot = (key, span);
                self.len += 1;
            }
            None => self.more.push((key, span)),
        }
    }
}

/// Names that live in one namespace, with where each was defined.
///
/// The maps hash with Fx: a large book looks up every product's names several times, and
/// SipHash was a tenth of its check. Nothing iterates them, so no order depends on the hasher.
#[derive(Default)]
pub(super) struct Names {
    /// Slug -> the first definition's position.
    pub(super) index: FxHashMap<String, usize>,
    /// Key of a slug or display name -> the definition it names (see `base::names`).
    pub(super) keys: FxHashMap<String, usize>,
    pub(super) spans: Vec<Span>,
    /// Slugs in definition order (empty for a duplicate).
    pub(super) list: Vec<String>,
    /// Display names in definition order.
    pub(super) displays: Vec<String>,
    /// Whether each definition is the first of its slug (`false` for a duplicate), filled by
    /// the names pass: later passes tell the two apart without looking the slug up again.
    pub(super) first: Vec<bool>,
}

impl Names {
    /// Room for `n` more names.
    fn reserve(&mut self, n: usize) {
        self.index.reserve(n);
        self.keys.reserve(n * 2);
        self.spans.reserve(n);
        self.list.reserve(n);
        self.displays.reserve(n);
        self.first.reserve(n);
    }

    /// The definition a slug names exactly.
    pub(super) fn get(&self, name: &str) -> Option<usize> {
        self.index.get(name).copied()
    }

    /// The definition a written name means: its slug, else its slug or display name as people
    /// write them (`Sora 2 pro`).
    pub(super) fn resolve(&self, written: &str) -> Option<usize> {
        self.get(written)
            .or_else(|| self.keys.get(&name_key(written)).copied())
    }
}

/// The aliases a product is written with (`aka "Video Generation"`); none for other items.
pub(super) fn product_aliases(item: &Item) -> impl Iterator<Item = &Spanned<String>> {
    let body = match item {
        Item::Product(p) => p.body.as_slice(),
        _ => &[],
    };
    body.iter().flat_map(|s| match &s.node {
        ProductStmt::Aka(names) => names.as_slice(),
        _ => &[],
    })
}

impl Cx<'_> {
    pub(super) fn names(&mut self) {
        let book = self.book;
        // Sized once: a book of thousands of products would otherwise grow each map and list
        // a dozen times.
        let mut counts = [0usize; 4];
        for item in &book.items {
            match &item.node {
                Item::Product(_) => counts[0] += 1,
                Item::Plan(_) => counts[1] += 1,
                Item::Pack(_) => counts[2] += 1,
                Item::Dimension(_) => counts[3] += 1,
                _ => {}
            }
        }
        for (names, n) in [
            &mut self.products,
            &mut self.plans,
            &mut self.packs,
            &mut self.dim_names,
        ]
        .into_iter()
        .zip(counts)
        {
            names.reserve(n);
        }
        for item in &book.items {
            let (ns, name, display, what) = match &item.node {
                Item::Product(p) => (0, &p.slug, Some(&p.display), "product"),
                Item::Plan(p) => (1, &p.slug, Some(&p.display), "plan"),
                Item::Pack(p) => (2, &p.slug, Some(&p.display), "pack"),
                Item::Dimension(d) => (3, &d.name, None, "dimension"),
                _ => continue,
            };
            let names = match ns {
                0 => &mut self.products,
                1 => &mut self.plans,
                2 => &mut self.packs,
                _ => &mut self.dim_names,
            };
            if let Some(&prev) = names.index.get(&name.node) {
                let prev_span = names.spans[prev];
                self.diags.push(diagnostics::defined_twice(
                    what, &name.node, name.span, prev_span,
                ));
                // Later passes resolve the name to the first definition.
                names.spans.push(name.span);
                names.list.push(String::new());
                names.displays.push(String::new());
                names.first.push(false);
                continue;
            }
            let at = names.list.len();
            // Two names of one kind that people would write alike make every use ambiguous.
            let written = std::iter::once((name.node.as_str(), name.span))
                .chain(display.map(|d| (d.node.as_str(), d.span)));
            let mut clash = None;
            // The item's own names by key, with where each was written: an alias that repeats
            // one of them is an error (it adds nothing, and hides a typo in the alias). Kept
            // only for an item with aliases (most have none).
            // Walked once (a product's body is long); no allocation when there are none.
            let aliases: Vec<&Spanned<String>> = product_aliases(&item.node).collect();
            let aliased = !aliases.is_empty();
            let mut own: Vec<(String, Span)> = Vec::new();
            for (n, span) in written {
                let key = name_key(n);
                if key.is_empty() {
                    continue;
                }
                if aliased {
                    own.push((key.clone(), span));
                }
                match names.keys.entry(key) {
                    Entry::Occupied(o) => {
                        let other = *o.get();
                        if other != at {
                            clash = clash.or(Some((n, span, other)));
                        }
                    }
                    Entry::Vacant(v) => {
                        v.insert(at);
                    }
                }
            }
            for alias in aliases {
                let key = name_key(&alias.node);
                if let Some((_, first)) = own.iter().find(|(k, _)| *k == key) {
                    self.diags.push(diagnostics::alias_repeats_name(
                        &alias.node,
                        alias.span,
                        *first,
                    ));
                    continue;
                }
                match names.keys.get(&key) {
                    // Each alias that would name another product is its own mistake.
                    Some(&other) if other != at => {
                        self.diags.push(diagnostics::name_like_another(
                            what,
                            &alias.node,
                            alias.span,
                            &names.list[other],
                            names.spans[other],
                        ));
                    }
                    _ => {
                        names.keys.insert(key.clone(), at);
                    }
                }
                own.push((key, alias.span));
            }
            if let Some((n, span, other)) = clash {
                let other_slug = names.list[other].clone();
                let other_span = names.spans[other];
                self.diags.push(diagnostics::name_like_another(
                    what,
                    n,
                    span,
                    &other_slug,
                    other_span,
                ));
            }
            names.index.insert(name.node.clone(), at);
            names.spans.push(name.span);
            names.list.push(name.node.clone());
            names
                .displays
                .push(display.map(|d| d.node.clone()).unwrap_or_default());
            names.first.push(true);
        }
    }

    pub(super) fn unknown(&mut self, what: &str, name: &Name, candidates: &[String], help: &str) {
        let suggestion = did_you_mean(
            &name.node,
            candidates
                .iter()
                .map(String::as_str)
                .filter(|c| !c.is_empty()),
        );
        let d = diagnostics::unknown(what, &name.node, name.span, suggestion, help);
        self.push(d);
    }

    pub(super) fn product_ref(&mut self, name: &Name) -> Option<usize> {
        let found = self.products.resolve(&name.node);
        if found.is_none() {
            let list = self.products.list.clone();
            self.unknown(
                "product",
                name,
                &list,
                "products are declared with `product \"Name\" as slug { ... }`",
            );
        }
        found
    }

    pub(super) fn plan_ref(&mut self, name: &Name) -> Option<usize> {
        let found = self.plans.resolve(&name.node);
        if found.is_none() {
            let list = self.plans.list.clone();
            self.unknown(
                "plan",
                name,
                &list,
                "plans are declared with `plan \"Name\" as slug { ... }`",
            );
        }
        found
    }
}
