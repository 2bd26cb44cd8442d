//! Pictures from the book: a static, self-contained pricing site (`pricebook page`), the page
//! `pricebook serve` serves with a calculator, and a diff as a pull-request comment
//! (`pricebook diff --format markdown`).
//!
//! A page is one HTML file with its style sheet and charts (SVG) inline: it loads nothing, so it
//! works from `file://`, offline and printed, in light and dark. Every number on it is the
//! compiled table's, through the functions `pricebook snapshot`, `quote`, `capacity` and `burn`
//! use. For a vendor's directory the site has a page per version and, on each, the version
//! history: a timeline and each version's diff from the one before.
//!
//! ```
//! let dir = std::env::temp_dir().join(format!("pricebook-page-doc-{}", std::process::id()));
//! let written = pricebook::page::write_site("pricebooks/hedra".as_ref(), &dir).expect("the site");
//! assert!(written.iter().any(|p| p.ends_with("index.html")));
//! let html = std::fs::read_to_string(dir.join("index.html")).expect("the page");
//! assert!(html.contains("<h1>hedra pricing</h1>"));
//! // Self-contained: nothing to load.
//! assert!(!html.contains("<script src") && !html.contains("<link") && !html.contains("url("));
//! std::fs::remove_dir_all(&dir).ok();
//! ```

mod book;
mod calculator;
mod costs;
mod history;
mod html;
mod markdown;
mod svg;

pub use markdown::{MARKER, diff_markdown};

use crate::load::{OpenError, Opened, Version};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Why a site could not be made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PageError {
    /// A book that does not open (it has errors, it cannot be read, ...).
    #[error(transparent)]
    Open(#[from] OpenError),
    /// A file of the site that cannot be written.
    #[error("cannot write `{}`: {io}; check that the directory is writable", .path.display())]
    Write { path: PathBuf, io: std::io::Error },
}

/// The static page of one book, with what the calculator needs to run.
pub fn book_html(book: &Opened) -> String {
    let p = book::page(book, &calculator::offline(book));
    html::document(&p.title, &p.body)
}

/// The page `pricebook serve` serves for the book it names `key`: the static page, with the
/// calculator's form pricing through the service.
pub fn served_html(book: &Opened, key: &str) -> String {
    let p = book::page(book, &calculator::served(book, key));
    html::document(&p.title, &p.body)
}

/// An index of links: `(href, text, note)`.
pub fn index_html(title: &str, intro: &str, links: &[(String, String, String)]) -> String {
    let mut body = format!(
        "<header><h1>{}</h1><p class=\"muted\">{}</p></header>\n<main>\n<ul>\n",
        html::esc(title),
        html::esc(intro)
    );
    for (href, text, note) in links {
        body.push_str(&format!(
            "<li><a href=\"{}\">{}</a> <span class=\"muted\">{}</span></li>\n",
            html::esc(href),
            html::esc(text),
            html::esc(note)
        ));
    }
    body.push_str("</ul>\n</main>\n");
    html::document(title, &body)
}

fn write(path: &Path, text: &str, written: &mut Vec<PathBuf>) -> Result<(), PageError> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|io| PageError::Write {
            path: dir.to_path_buf(),
            io,
        })?;
    }
    std::fs::write(path, text).map_err(|io| PageError::Write {
        path: path.to_path_buf(),
        io,
    })?;
    written.push(path.to_path_buf());
    Ok(())
}

/// A book opened with what a diff of it needs (its `floor`, which a table does not carry).
struct VersionBook {
    book: Opened,
    floor: Option<crate::model::RateDef>,
}

fn open_version(v: &Version) -> Result<VersionBook, PageError> {
    let text = crate::load::read_book(&v.path)?;
    let name = v.path.display().to_string();
    let checked = crate::load::check_book_file(&v.path, &text);
    let errors = checked.has_errors();
    match (checked.model, checked.table) {
        (Some(model), Some(table)) if !errors => Ok(VersionBook {
            book: Opened {
                table,
                path: v.path.clone(),
                contract: None,
            },
            floor: model.floor.clone(),
        }),
        _ => Err(OpenError::BookHasErrors {
            file: name,
            text,
            diagnostics: checked.diagnostics,
        }
        .into()),
    }
}

/// A version as a side of a diff.
fn side<'a>(o: &'a VersionBook, v: &'a Version) -> crate::diff::Side<'a> {
    crate::diff::Side {
        table: &o.book.table,
        floor: Some(o.floor.as_ref()),
        source: v.path.to_str().unwrap_or(""),
    }
}

/// A vendor's versions: a page per version with the history, and the latest as `index.html`.
fn vendor_site(
    dir: &Path,
    versions: &[Version],
    written: &mut Vec<PathBuf>,
) -> Result<(), PageError> {
    let opened: Vec<VersionBook> = versions
        .iter()
        .map(open_version)
        .collect::<Result<_, _>>()?;
    let entries: Vec<history::Entry<'_>> = versions
        .iter()
        .enumerate()
        .map(|(i, v)| history::Entry {
            version: v,
            diff: i
                .checked_sub(1)
                .map(|p| crate::diff::diff(&side(&opened[p], &versions[p]), &side(&opened[i], v))),
            href: history::href(v),
        })
        .collect();
    for (i, (v, o)) in versions.iter().zip(&opened).enumerate() {
        let extra = format!(
            "{}{}",
            calculator::offline(&o.book),
            history::section_html(&entries, &v.label)
        );
        let p = book::page(&o.book, &extra);
        let text = html::document(&p.title, &p.body);
        write(&dir.join(history::href(v)), &text, written)?;
        if i + 1 == versions.len() {
            write(&dir.join("index.html"), &text, written)?;
        }
    }
    Ok(())
}

/// Writes the site of `path` into `out` and returns the files written:
///
/// - a book (or a contract, layered on its book): `index.html`;
/// - a vendor's directory of versions: a page per version (`<version>.html`), each with the
///   version history, and the latest again as `index.html`;
/// - a directory of vendors' directories: a vendor's site in `<vendor>/` (a parallel price list's
///   in `<vendor>/<list>/`), and an `index.html` linking them.
pub fn write_site(path: &Path, out: &Path) -> Result<Vec<PathBuf>, PageError> {
    let mut written = Vec::new();
    if !path.is_dir() {
        let book = crate::load::open(path, None)?;
        write(&out.join("index.html"), &book_html(&book), &mut written)?;
        return Ok(written);
    }
    let files = crate::load::book_files(&[path.to_path_buf()])?;
    // One site per price list: a vendor's main list, or `vendor/list` for its parallel lists.
    let mut vendors: BTreeMap<(String, String), Vec<Version>> = BTreeMap::new();
    for v in files.iter().filter_map(|f| crate::load::version_of(f)) {
        vendors
            .entry((v.vendor.clone(), v.list.clone()))
            .or_default()
            .push(v);
    }
    for vs in vendors.values_mut() {
        vs.sort_by_key(|v| v.effective);
    }
    if vendors.is_empty() {
        return Err(OpenError::NoVersions {
            dir: path.to_path_buf(),
        }
        .into());
    }
    if vendors.len() == 1 {
        for vs in vendors.values() {
            vendor_site(out, vs, &mut written)?;
        }
        return Ok(written);
    }
    let mut links = Vec::new();
    for ((vendor, list), vs) in &vendors {
        let (mut dir, mut href, mut name) = (
            out.join(html::file_name(vendor)),
            html::file_name(vendor),
            vendor.clone(),
        );
        if list != crate::model::MAIN_LIST {
            dir = dir.join(html::file_name(list));
            href = format!("{href}/{}", html::file_name(list));
            name = format!("{vendor} ({list} list)");
        }
        vendor_site(&dir, vs, &mut written)?;
        let latest = vs.last().map_or(String::new(), |v| {
            format!(
                "{} versions, the latest {} from {}",
                vs.len(),
                v.label,
                v.effective
            )
        });
        links.push((format!("{href}/index.html"), name, latest));
    }
    let index = index_html(
        "Pricing pages",
        "Each vendor's price list, generated by pricebook from its books.",
        &links,
    );
    write(&out.join("index.html"), &index, &mut written)?;
    Ok(written)
}
