//! The generated books of the benchmarks (and of the tests that need a large book): products of
//! six shapes in turn, plans with their own prices, grants and limits, one pack, and worked
//! examples whose expectations are computed here. Included by `benches/check.rs` and
//! `tests/table_binary.rs` with `#[path]`.

// Each includer uses part of it.
#![allow(dead_code)]

use std::fmt::{self, Write};

/// Values of the `resolution` dimension, lowest first.
pub const RESOLUTIONS: [&str; 4] = ["540p", "720p", "1080p", "4K"];
/// Values of the `quality` dimension, lowest first.
pub const QUALITIES: [&str; 3] = ["draft", "standard", "high"];

/// The shapes of generated products, cycling with the product index.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// `measure time`, per second, `round up to 1 second`.
    Video,
    /// `measure area`, per megapixel, `prorate`.
    Megapixel,
    /// `measure image`, per image.
    Image,
    /// `measure text`, per 1000 characters, `prorate`.
    Text,
    /// `dims resolution, quality`: a rate per cell (one cell not offered).
    Matrix,
    /// `tiers graduated { ... }` over seconds.
    Tiered,
}

/// Ten products in a row: video is the most common shape, as in real books.
pub const CYCLE: [Shape; 10] = [
    Shape::Video,
    Shape::Megapixel,
    Shape::Image,
    Shape::Text,
    Shape::Video,
    Shape::Matrix,
    Shape::Image,
    Shape::Tiered,
    Shape::Video,
    Shape::Text,
];

pub fn shape(i: usize) -> Shape {
    CYCLE[i % CYCLE.len()]
}

/// The main rate of product `i`, in credits per unit: 1 to 60, varied.
pub fn rate(i: usize) -> u64 {
    1 + (i as u64 * 7919) % 60
}

/// The rate of a matrix cell (resolution index `r`, quality index `q`) of product `i`.
pub fn cell_rate(i: usize, r: usize, q: usize) -> u64 {
    rate(i) + 4 * r as u64 + 2 * q as u64
}

/// The graduated tiers of product `i`: the first 60 seconds at `a`, the rest at `b` (cheaper).
pub fn tier_rates(i: usize) -> (u64, u64) {
    let a = rate(i) + 10;
    (a, a / 2)
}

/// Plan `j`: monthly price in USD, monthly grant in credits, per-event video length limit in
/// minutes. Prices differ between plans, so no two plans have the same terms.
pub fn plan_terms(j: usize) -> (u64, u64, u64) {
    let price = 10 + 5 * j as u64;
    let grant = 1000 + 500 * j as u64 + (j as u64 % 7) * 40;
    let limit_minutes = 5 + j as u64 % 10;
    (price, grant, limit_minutes)
}

/// `n / 10^dp` as an exact decimal literal.
pub fn decimal(n: u64, dp: u32) -> String {
    let scale = 10u64.pow(dp);
    let (whole, frac) = (n / scale, n % scale);
    if frac == 0 {
        whole.to_string()
    } else {
        let frac = format!("{frac:0width$}", width = dp as usize);
        format!("{whole}.{}", frac.trim_end_matches('0'))
    }
}

/// `charge` credits on plan `j` in USD cents: charge x price / grant, rounded half away from
/// zero to the cent, as the evaluator does.
pub fn money_cents(charge: u64, j: usize) -> u64 {
    let (price, grant, _) = plan_terms(j);
    let num = u128::from(charge) * u128::from(price) * 100;
    let grant = u128::from(grant);
    let (q, r) = (num / grant, num % grant);
    let cents = if 2 * r >= grant { q + 1 } else { q };
    u64::try_from(cents).expect("small money amounts")
}

/// The last product of a shape (tests reference late products, so name lookups scan far).
pub fn last_of(products: usize, s: Shape) -> usize {
    (0..products)
        .rev()
        .find(|&i| shape(i) == s)
        .expect("the book has at least one product of every shape")
}

/// A valid book of `products` products of varied shapes and `plans` plans, with one pack and a
/// handful of worked examples whose expectations are computed here.
pub fn generated_book(products: usize, plans: usize) -> String {
    let mut out = String::with_capacity(products * 120 + plans * 250 + 4096);
    write_book(&mut out, products, plans).expect("writing to a String cannot fail");
    out
}

/// [`generated_book`] with `bills` bill examples as well: each bills two months on a plan, with
/// a pack bought and video used from the wallet.
pub fn generated_book_with_bills(products: usize, plans: usize, bills: usize) -> String {
    let mut out = generated_book(products, plans);
    write_bill_tests(&mut out, products, plans, bills).expect("writing to a String cannot fail");
    out
}

pub fn write_bill_tests(
    out: &mut String,
    products: usize,
    plans: usize,
    bills: usize,
) -> fmt::Result {
    let video = last_of(products, Shape::Video);
    for k in 0..bills {
        let plan = (plans - 1).saturating_sub(k % plans);
        let (price, _, _) = plan_terms(plan);
        writeln!(out)?;
        writeln!(out, "test \"two months on plan {plan} ({k})\" {{")?;
        writeln!(out, "  bill plan pl{plan} from 2026-01-01 periods 2 {{")?;
        writeln!(out, "    2026-01-02T09:00:00Z buy credit-pack")?;
        writeln!(out, "    2026-01-10T09:00:00Z use p{video} 30 second")?;
        writeln!(out, "    2026-02-10T09:00:00Z use p0 1 minute")?;
        writeln!(out, "    expect total == {} USD", 2 * price + 100)?;
        writeln!(out, "  }}")?;
        writeln!(out, "}}")?;
    }
    Ok(())
}

pub fn write_book(out: &mut String, products: usize, plans: usize) -> fmt::Result {
    assert!(
        products >= CYCLE.len(),
        "need at least {} products, one of every shape",
        CYCLE.len()
    );
    assert!(plans >= 1, "need at least one plan");

    writeln!(
        out,
        "# Generated benchmark book: {products} products, {plans} plans."
    )?;
    writeln!(
        out,
        "pricebook bench version \"{products}x{plans}\" effective 2026-01-01 currency USD"
    )?;
    writeln!(out)?;
    writeln!(out, "unit credit")?;
    writeln!(out)?;
    writeln!(out, "dimension resolution {{ {} }}", RESOLUTIONS.join(", "))?;
    writeln!(out, "dimension quality {{ {} }}", QUALITIES.join(", "))?;

    for i in 0..products {
        writeln!(out)?;
        let r = rate(i);
        match shape(i) {
            Shape::Video => {
                writeln!(out, "product \"Video model {i}\" as p{i} {{")?;
                writeln!(out, "  measure time")?;
                writeln!(out, "  rate {r} credit / second")?;
                writeln!(out, "  round up to 1 second")?;
            }
            Shape::Megapixel => {
                writeln!(out, "product \"Image model {i}\" as p{i} {{")?;
                writeln!(out, "  measure area")?;
                writeln!(out, "  rate {r} credit / megapixel")?;
                writeln!(out, "  prorate")?;
            }
            Shape::Image => {
                writeln!(out, "product \"Picture model {i}\" as p{i} {{")?;
                writeln!(out, "  measure image")?;
                writeln!(out, "  rate {r} credit / image")?;
            }
            Shape::Text => {
                writeln!(out, "product \"Speech model {i}\" as p{i} {{")?;
                writeln!(out, "  measure text")?;
                writeln!(out, "  rate {r} credit / 1000 character")?;
                writeln!(out, "  prorate")?;
            }
            Shape::Matrix => {
                writeln!(out, "product \"Render model {i}\" as p{i} {{")?;
                writeln!(out, "  measure time")?;
                writeln!(out, "  dims resolution, quality")?;
                for (ri, res) in RESOLUTIONS.iter().enumerate() {
                    for (qi, qual) in QUALITIES.iter().enumerate() {
                        if ri == RESOLUTIONS.len() - 1 && qi == 0 {
                            writeln!(out, "  rate {res}, {qual} = not offered")?;
                        } else {
                            let c = cell_rate(i, ri, qi);
                            writeln!(out, "  rate {res}, {qual} = {c} credit / second")?;
                        }
                    }
                }
                writeln!(out, "  round up to 1 second")?;
            }
            Shape::Tiered => {
                let (a, b) = tier_rates(i);
                writeln!(out, "product \"Batch model {i}\" as p{i} {{")?;
                writeln!(out, "  measure time")?;
                writeln!(out, "  tiers graduated {{")?;
                writeln!(out, "    0 second .. 60 second : {a} credit / second")?;
                writeln!(out, "    60 second .. : {b} credit / second")?;
                writeln!(out, "  }}")?;
            }
        }
        writeln!(out, "}}")?;
    }

    for j in 0..plans {
        let (price, grant, limit) = plan_terms(j);
        writeln!(out)?;
        writeln!(out, "plan \"Plan {j}\" as pl{j} {{")?;
        writeln!(out, "  price {price} USD / month")?;
        writeln!(
            out,
            "  grant {grant} credit every month, expires at cycle end, priority 1"
        )?;
        writeln!(out, "  products all")?;
        writeln!(out, "  packs allowed")?;
        writeln!(out, "  limit video length <= {limit} minute")?;
        writeln!(out, "}}")?;
    }

    writeln!(out)?;
    writeln!(out, "pack \"Credit pack\" as credit-pack {{")?;
    writeln!(out, "  price 100 USD")?;
    writeln!(out, "  grant 16000 credit, never expires, priority 2")?;
    writeln!(out, "}}")?;

    write_tests(out, products, plans)
}

/// Worked examples over the first and last plans and products of every shape.
pub fn write_tests(out: &mut String, products: usize, plans: usize) -> fmt::Result {
    let last_plan = plans - 1;

    // Capacity: floor(grant / rate) whole seconds of a video product (rounded up per second).
    let video = last_of(products, Shape::Video);
    let (_, grant, _) = plan_terms(last_plan);
    writeln!(out)?;
    writeln!(out, "test \"capacity of the last video product\" {{")?;
    writeln!(
        out,
        "  capacity plan pl{last_plan} product p{video} == {} second",
        grant / rate(video)
    )?;
    let (_, grant0, _) = plan_terms(0);
    writeln!(
        out,
        "  capacity plan pl0 product p0 == {} second",
        grant0 / rate(0)
    )?;
    writeln!(out, "}}")?;

    // Rounding: 12.5 seconds is charged as 13, with the plan's money equivalent.
    let charge = 13 * rate(video);
    writeln!(out)?;
    writeln!(out, "test \"video rounds up to the second\" {{")?;
    writeln!(
        out,
        "  quote plan pl{last_plan} product p{video} quantity 12.5 second == {charge} credit, money {} USD",
        decimal(money_cents(charge, last_plan), 2)
    )?;
    writeln!(
        out,
        "  quote plan pl0 product p0 quantity 2 minute == {} credit",
        120 * rate(0)
    )?;
    let (_, _, limit0) = plan_terms(0);
    writeln!(
        out,
        "  quote plan pl0 product p0 quantity {} minute rejects \"limit\"",
        limit0 + 1
    )?;
    writeln!(out, "}}")?;

    // Prorated and per-unit products: 2.5 megapixels, 1,500 characters, 3 images.
    let mp = last_of(products, Shape::Megapixel);
    let text = last_of(products, Shape::Text);
    let image = last_of(products, Shape::Image);
    writeln!(out)?;
    writeln!(out, "test \"prorated and per-unit products\" {{")?;
    writeln!(
        out,
        "  quote plan pl0 product p{mp} quantity 2.5 megapixel == {} credit",
        decimal(25 * rate(mp), 1)
    )?;
    writeln!(
        out,
        "  quote plan pl{last_plan} product p{text} quantity 1500 character == {} credit",
        decimal(15 * rate(text), 1)
    )?;
    writeln!(
        out,
        "  quote plan pl0 product p{image} quantity 3 image == {} credit",
        3 * rate(image)
    )?;
    writeln!(out, "}}")?;

    // Matrix cells: one priced, one not offered.
    let matrix = last_of(products, Shape::Matrix);
    writeln!(out)?;
    writeln!(out, "test \"matrix cells\" {{")?;
    writeln!(
        out,
        "  quote plan pl0 product p{matrix} dim resolution = 1080p dim quality = high quantity 10 second == {} credit",
        10 * cell_rate(matrix, 2, 2)
    )?;
    writeln!(
        out,
        "  quote plan pl0 product p{matrix} dim resolution = 4K dim quality = draft quantity 10 second rejects \"not offered\""
    )?;
    writeln!(out, "}}")?;

    // Graduated tiers: 90 seconds = 60 at the first rate + 30 at the second.
    let tiered = last_of(products, Shape::Tiered);
    let (a, b) = tier_rates(tiered);
    writeln!(out)?;
    writeln!(out, "test \"graduated tiers\" {{")?;
    writeln!(
        out,
        "  quote plan pl{last_plan} product p{tiered} quantity 90 second == {} credit",
        60 * a + 30 * b
    )?;
    writeln!(out, "}}")
}
