//! Names as people write them.
//!
//! Products, plans, packs, dimensions, dimension values and units are matched by a *key*: the
//! name's letters and digits, lowercased. `Sora 2 Pro`, `sora-2-pro` and `sora2pro` are one name;
//! `30 fps` and `30FPS` are one value. A name that matches nothing gets the closest few
//! candidates ([`closest`]); one that matches several items gets the list of them.

use std::fmt;

/// The key a name is matched by: its letters and digits, lowercased.
///
/// ```
/// use pricebook::base::names::name_key;
/// assert_eq!(name_key("Sora 2 Pro"), "sora2pro");
/// assert_eq!(name_key("sora-2-pro"), "sora2pro");
/// assert_eq!(name_key(" 30 FPS "), "30fps");
/// ```
pub fn name_key(name: &str) -> String {
    // Most names are ASCII: bytes in, bytes out, one allocation of the right size (the checker
    // keys every product's slug and display name).
    if name.is_ascii() {
        let mut key = String::with_capacity(name.len());
        key.extend(
            name.bytes()
                .filter(u8::is_ascii_alphanumeric)
                .map(|c| char::from(c.to_ascii_lowercase())),
        );
        return key;
    }
    key_chars(name).collect()
}

fn key_chars(name: &str) -> impl Iterator<Item = char> + '_ {
    name.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
}

/// `name_key(a) == name_key(b)`, without building either key (names are compared in loops over
/// books of thousands of products).
pub fn same_key<'a>(a: &'a str, b: &'a str) -> bool {
    if a.is_ascii() && b.is_ascii() {
        let key = |s: &'a str| {
            s.bytes()
                .filter(u8::is_ascii_alphanumeric)
                .map(|c| c.to_ascii_lowercase())
        };
        return key(a).eq(key(b));
    }
    key_chars(a).eq(key_chars(b))
}

/// What looking a written name up among named items found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    /// The index of the one item it names.
    One(usize),
    /// It matches several items (by key): their indexes, in order.
    Several(Vec<usize>),
    None,
}

/// Looks `written` up among `(item index, name)` pairs (an item may have several names: a slug,
/// a display name, aliases). A name written exactly wins; otherwise names match by key.
///
/// ```
/// use pricebook::base::names::{lookup, Lookup};
/// let names = [(0, "veo-3"), (0, "Veo 3 / Veo 3.1"), (1, "sora-2-pro"), (1, "Sora 2 Pro")];
/// assert_eq!(lookup("Sora 2 pro", names), Lookup::One(1));
/// assert_eq!(lookup("sora2pro", names), Lookup::One(1));
/// assert_eq!(lookup("veo 3", names), Lookup::One(0));
/// assert_eq!(lookup("kling", names), Lookup::None);
/// ```
pub fn lookup<'a>(written: &str, names: impl IntoIterator<Item = (usize, &'a str)>) -> Lookup {
    let written = written.trim();
    let mut exact: Vec<usize> = Vec::new();
    let mut by_key: Vec<usize> = Vec::new();
    for (i, name) in names {
        if name == written {
            if !exact.contains(&i) {
                exact.push(i);
            }
        } else if exact.is_empty() && same_key(name, written) && !by_key.contains(&i) {
            by_key.push(i);
        }
    }
    let found = if exact.is_empty() { by_key } else { exact };
    match found.as_slice() {
        [] => Lookup::None,
        [one] => Lookup::One(*one),
        _ => Lookup::Several(found),
    }
}

/// Finds the item a written name means among items named by a slug and a display name
/// (products, plans, packs): [`lookup`] over both names, with the closest slugs for a miss and
/// every matching slug when the name is ambiguous.
///
/// ```
/// use pricebook::base::names::find_named;
/// let products = [("veo-3", "Veo 3 / Veo 3.1"), ("sora-2-pro", "Sora 2 Pro")];
/// assert_eq!(find_named("product", "Sora 2 pro", products), Ok(1));
/// let e = find_named("product", "sora", products).unwrap_err();
/// assert_eq!(e.to_string(), "unknown product `sora`; did you mean `sora-2-pro`?");
/// ```
pub fn find_named<'a>(
    kind: &'static str,
    written: &str,
    items: impl IntoIterator<Item = (&'a str, &'a str), IntoIter: Clone> + Clone,
) -> Result<usize, NameError> {
    let items = items
        .into_iter()
        .map(|(slug, display)| (slug, display, std::iter::empty()));
    find_named_with_aliases(kind, written, items)
}

/// [`find_named`] over items that may also have aliases (a product's `aka` names): a slug, a
/// display name and any number of other names per item, all matched alike. Ambiguity and
/// misses name items by their slugs.
///
/// ```
/// use pricebook::base::names::find_named_with_aliases;
/// let products = [
///     ("avatar-iv", "Avatar IV", vec!["Video Generation"]),
///     ("avatar-iii", "Avatar III", vec![]),
/// ];
/// let items = products.iter().map(|(s, d, a)| (*s, *d, a.iter().copied()));
/// assert_eq!(find_named_with_aliases("product", "video generation", items.clone()), Ok(0));
/// let e = find_named_with_aliases("product", "video gen", items).unwrap_err();
/// assert_eq!(e.to_string(), "unknown product `video gen`; did you mean `avatar-iv`?");
/// ```
pub fn find_named_with_aliases<'a, A>(
    kind: &'static str,
    written: &str,
    items: impl IntoIterator<Item = (&'a str, &'a str, A), IntoIter: Clone> + Clone,
) -> Result<usize, NameError>
where
    A: IntoIterator<Item = &'a str>,
{
    let names = items
        .clone()
        .into_iter()
        .enumerate()
        .flat_map(|(i, (slug, display, aliases))| {
            [(i, slug), (i, display)]
                .into_iter()
                .chain(aliases.into_iter().map(move |a| (i, a)))
        });
    let slugs = || items.clone().into_iter().map(|(s, _, _)| s);
    match lookup(written, names) {
        Lookup::One(i) => Ok(i),
        Lookup::Several(is) => {
            let all: Vec<&str> = slugs().collect();
            Err(NameError::ambiguous(
                kind,
                written,
                is.iter().map(|i| all[*i].to_string()).collect(),
            ))
        }
        Lookup::None => {
            let mut e = NameError::unknown(kind, written, slugs());
            if !e.close {
                // Nothing like it among the slugs; a display name or an alias may be close
                // (`Sora 2`).
                let others: Vec<(&str, &str)> = items
                    .into_iter()
                    .flat_map(|(slug, display, aliases)| {
                        std::iter::once((slug, display))
                            .chain(aliases.into_iter().map(move |a| (slug, a)))
                    })
                    .collect();
                let mut by_other: Vec<String> = Vec::new();
                for name in closest(written, others.iter().map(|(_, n)| *n), 3) {
                    if let Some((slug, _)) = others.iter().find(|(_, x)| *x == name) {
                        if !by_other.iter().any(|s| s == slug) {
                            by_other.push(slug.to_string());
                        }
                    }
                }
                if !by_other.is_empty() {
                    e.candidates = by_other;
                    e.close = true;
                }
            }
            Err(e)
        }
    }
}

/// A name that names nothing, or several things: the message says which, and what was meant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameError {
    /// `product`, `plan`, `pack`, `unit`, `dimension`, ...
    pub kind: &'static str,
    pub written: String,
    /// The closest candidates for an unknown name; every match for an ambiguous one.
    pub candidates: Vec<String>,
    pub ambiguous: bool,
    /// The candidates of an unknown name are close to it (likely meant), rather than simply
    /// every name there is.
    pub close: bool,
    /// How many names of this kind there are (to say "the book has none").
    pub known: usize,
}

impl NameError {
    /// An unknown `kind` named `written`, with the closest few of `known` names.
    pub fn unknown<'a>(
        kind: &'static str,
        written: &str,
        known: impl IntoIterator<Item = &'a str> + Clone,
    ) -> NameError {
        let count = known.clone().into_iter().count();
        let close: Vec<String> = closest(written, known.clone(), 3)
            .into_iter()
            .map(String::from)
            .collect();
        let all = || known.clone().into_iter().map(String::from).collect();
        NameError {
            kind,
            written: written.trim().to_string(),
            close: !close.is_empty(),
            candidates: if close.is_empty() && count <= 3 {
                all()
            } else {
                close
            },
            ambiguous: false,
            known: count,
        }
    }

    /// A name that matches several `kind`s: `matches` names each of them.
    pub fn ambiguous(kind: &'static str, written: &str, matches: Vec<String>) -> NameError {
        NameError {
            kind,
            written: written.trim().to_string(),
            known: matches.len(),
            candidates: matches,
            ambiguous: true,
            close: true,
        }
    }

    /// The first line: what is wrong.
    pub fn message(&self) -> String {
        if self.ambiguous {
            format!(
                "`{}` matches {} {}s: {}",
                self.written,
                self.candidates.len(),
                self.kind,
                quoted_list(&self.candidates, "and")
            )
        } else {
            format!("unknown {} `{}`", self.kind, self.written)
        }
    }

    /// What to do.
    pub fn help(&self) -> String {
        if self.ambiguous {
            return format!("name one {} by its slug", self.kind);
        }
        match (self.known, self.candidates.as_slice()) {
            (0, _) => format!("there is no {} to name here", self.kind),
            (_, c) if self.close => format!("did you mean {}?", quoted_list(c, "or")),
            (1, [only]) => format!("the only {} is `{only}`", self.kind),
            (_, []) => format!("no {} has a name like it", self.kind),
            (_, c) => format!("the {}s are {}", self.kind, quoted_list(c, "and")),
        }
    }
}

impl fmt::Display for NameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}; {}", self.message(), self.help())
    }
}

impl std::error::Error for NameError {}

/// `` `a`, `b` or `c` ``.
pub fn quoted_list(items: &[String], last: &str) -> String {
    let q: Vec<String> = items.iter().map(|i| format!("`{i}`")).collect();
    match q.as_slice() {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., tail] => format!("{} {last} {tail}", init.join(", ")),
    }
}

/// The edits a name of `chars` characters may be from a candidate and still count as a typo.
fn typo_budget(chars: usize) -> usize {
    (chars.max(3) / 3).max(1)
}

/// The candidate closest to `name`, if it is close enough to be a likely typo: within the typo
/// budget in edits, or one a prefix of the other. Only candidates that qualify are compared, so a
/// ten-megabyte garbage word costs a length comparison per candidate, not a distance table.
pub fn did_you_mean<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let key: Vec<char> = name_key(name).chars().collect();
    let max = typo_budget(key.len());
    let mut best: Option<(usize, &str)> = None;
    for c in candidates {
        let ck: Vec<char> = name_key(c).chars().collect();
        // When one key is a prefix of the other the distance is the difference in length.
        let prefix = !key.is_empty() && (ck.starts_with(&key) || key.starts_with(&ck));
        let d = if prefix {
            Some(key.len().abs_diff(ck.len()))
        } else {
            edit_distance_within(&key, &ck, max)
        };
        if let Some(d) = d.filter(|d| best.is_none_or(|(bd, _)| *d < bd)) {
            best = Some((d, c));
        }
    }
    best.map(|(_, c)| c)
}

/// Up to `n` candidates close enough to be what was meant, closest first: names that contain
/// what was written (or are contained in it), then by edit distance.
pub fn closest<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
    n: usize,
) -> Vec<&'a str> {
    let key = name_key(name);
    let key_chars: Vec<char> = key.chars().collect();
    let max = typo_budget(key_chars.len());
    let mut scored: Vec<(usize, usize, &str)> = candidates
        .into_iter()
        .enumerate()
        .filter_map(|(i, c)| {
            let ck = name_key(c);
            if !key.is_empty() && (ck.contains(&key) || key.contains(&ck)) {
                return Some((0, i, c));
            }
            let ck: Vec<char> = ck.chars().collect();
            edit_distance_within(&key_chars, &ck, max).map(|d| (1 + d, i, c))
        })
        .collect();
    scored.sort();
    let mut out: Vec<&str> = Vec::new();
    for (_, _, c) in scored {
        if !out.contains(&c) {
            out.push(c);
        }
        if out.len() == n {
            break;
        }
    }
    out
}

/// Edit distance over characters where swapping two neighbours is one edit (optimal string
/// alignment), so `1800p` is one edit from `1080p`.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    edit_distance_within(&a, &b, usize::MAX).unwrap_or(usize::MAX)
}

/// The edit distance of [`edit_distance`] when it is at most `max`, else `None`, in memory of
/// three rows and stopping as soon as every cell of a row is over `max` (distances never fall
/// from one row to the next), so comparing a huge word with a short name is cheap.
fn edit_distance_within(a: &[char], b: &[char], max: usize) -> Option<usize> {
    if a.len().abs_diff(b.len()) > max {
        return None;
    }
    let w = b.len() + 1;
    let mut before: Vec<usize> = vec![0; w];
    let mut above: Vec<usize> = (0..w).collect();
    let mut row: Vec<usize> = vec![0; w];
    for i in 1..=a.len() {
        row[0] = i;
        let mut row_min = i;
        for j in 1..w {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (above[j] + 1).min(row[j - 1] + 1).min(above[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(before[j - 2] + 1);
            }
            row[j] = v;
            row_min = row_min.min(v);
        }
        if row_min > max {
            return None;
        }
        std::mem::swap(&mut before, &mut above);
        std::mem::swap(&mut above, &mut row);
    }
    above.get(b.len()).copied().filter(|d| *d <= max)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_ignore_case_spaces_and_punctuation() {
        assert!(same_key("Sora 2 Pro", "sora-2-pro"));
        assert!(same_key("SORA2PRO", "sora-2-pro"));
        assert!(same_key("Résumé", "RÉSUMÉ"));
        assert!(!same_key("veo-3", "veo-3-1-fast"));
        assert!(!same_key("", "a"));
        assert!(same_key("", "--"));
    }

    #[test]
    fn suggestions_prefer_close_names() {
        assert_eq!(did_you_mean("secnd", ["second", "minute"]), Some("second"));
        assert_eq!(did_you_mean("credits", ["credit", "USD"]), Some("credit"));
        assert_eq!(did_you_mean("zzzzzz", ["second", "minute"]), None);
        assert_eq!(did_you_mean("1800p", ["720p", "1080p"]), Some("1080p"));
        // A prefix counts even when a closer name is not close enough.
        assert_eq!(did_you_mean("ab", ["xy", "abcdef"]), Some("abcdef"));
    }

    #[test]
    fn distances_are_exact_within_the_budget_and_none_past_it() {
        let chars = |s: &str| s.chars().collect::<Vec<char>>();
        assert_eq!(edit_distance("1800p", "1080p"), 1);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(
            edit_distance_within(&chars("kitten"), &chars("sitting"), 3),
            Some(3)
        );
        assert_eq!(
            edit_distance_within(&chars("kitten"), &chars("sitting"), 2),
            None
        );
        // A huge word against a short name stops at the length difference.
        let huge = chars(&"x".repeat(1_000_000));
        assert_eq!(edit_distance_within(&huge, &chars("second"), 2), None);
        assert_eq!(
            did_you_mean(&"x".repeat(1_000_000), ["second", "minute"]),
            None
        );
    }

    #[test]
    fn a_miss_gets_the_closest_few_not_every_name() {
        let products = [
            "hedra-avatar",
            "hedra-omnia",
            "seedance-1-5-pro",
            "kling-v3-standard",
            "veo-3-1-fast",
            "kling-v3-pro",
            "veo-3",
            "sora-2-pro",
            "flux-dev",
            "flux-pro",
        ];
        assert_eq!(
            closest("kling", products, 3),
            ["kling-v3-standard", "kling-v3-pro"]
        );
        assert_eq!(closest("sora 2", products, 3), ["sora-2-pro"]);
        assert_eq!(closest("flux-prp", products, 3), ["flux-pro"]);
        assert!(closest("zzzzzzzz", products, 3).is_empty());
        assert!(closest("zzz", ["a", "b"], 3).is_empty());
    }

    #[test]
    fn an_exact_name_wins_and_keys_can_be_ambiguous() {
        let names = [(0, "pro"), (1, "Pro"), (2, "p-r-o")];
        assert_eq!(lookup("pro", names), Lookup::One(0));
        assert_eq!(lookup("PRO", names), Lookup::Several(vec![0, 1, 2]));
        assert_eq!(lookup("  Pro ", names), Lookup::One(1));
    }

    #[test]
    fn messages_say_what_was_meant() {
        let e = NameError::unknown(
            "product",
            "sora",
            ["sora-2-pro", "veo-3", "flux-dev", "x", "y"],
        );
        assert_eq!(
            e.to_string(),
            "unknown product `sora`; did you mean `sora-2-pro`?"
        );
        let e = NameError::unknown("plan", "gold", ["basic", "pro"]);
        assert_eq!(
            e.to_string(),
            "unknown plan `gold`; the plans are `basic` and `pro`"
        );
        let e = NameError::unknown("pack", "x", []);
        assert_eq!(
            e.to_string(),
            "unknown pack `x`; there is no pack to name here"
        );
        let e = NameError::ambiguous("product", "Pro", vec!["pro".into(), "p-r-o".into()]);
        assert_eq!(
            e.to_string(),
            "`Pro` matches 2 products: `pro` and `p-r-o`; name one product by its slug"
        );
    }
}
