//! Plans `based on` another inherit what they do not restate (docs/language.md's rule), and the
//! checker and the evaluators agree about it.

use pricebook::pipeline::check_book;

const BOOK: &str = r#"
pricebook acme version "1" effective 2026-01-01 currency USD
unit credit
product "Render" as render { measure time  rate 7 credit / second }
product "Bulk" as bulk { measure image  rate 2 credit / image }
product "Voice" as voice { measure text  rate 15 credit / 1000 character }

plan "Pro" as pro {
  price 30 USD / month
  grant 6000 credit every month, expires at cycle end
  deny bulk
  rate render = 6 credit / second
  limit video length <= 5 minute on render
  feature seats = 3
}

plan "Team" as team based on pro {
  allow identical-plans "a seat-based plan priced like Pro"
  feature seats = 10
}

plan "Team Plus" as team-plus based on team {
  price 60 USD / month
  grant 12000 credit every month, expires at cycle end
}

test "Team inherits Pro's plan rate, limit and price" {
  quote plan team product render quantity 10 second == 60 credit, money 0.30 USD
  quote plan team product render quantity 6 minute rejects "limit video length"
  quote plan team product bulk quantity 1 image rejects "not available"
}

test "Team Plus inherits through Team, restating price and grant" {
  quote plan team-plus product render quantity 10 second == 60 credit, money 0.30 USD
  quote plan team-plus product render quantity 6 minute rejects "limit video length"
  capacity plan team-plus product render == 2000 second
}
"#;

#[test]
fn based_on_plans_inherit_what_they_do_not_restate_through_the_whole_chain() {
    let checked = check_book(BOOK);
    let codes: Vec<&str> = checked.diagnostics.iter().map(|d| d.code.name()).collect();
    // `bulk` is denied by Pro and, through inheritance, by Team and Team Plus: no plan offers it.
    assert_eq!(codes, ["unused-product"], "{:#?}", checked.diagnostics);
    assert!(checked.diagnostics[0].message.contains("`bulk`"));
    assert!(
        checked.examples.iter().all(|e| e.passed()),
        "{:#?}",
        checked.examples
    );
    let model = checked.model.expect("a model");
    let team = &model.plans[model.plan_index("team").expect("team")];
    assert_eq!(
        team.features,
        [("seats".to_string(), "10".to_string())],
        "an own feature replaces the base's of the same name"
    );
}

#[test]
fn a_product_offered_again_by_the_derived_plan_is_not_unused() {
    let book = BOOK
        .replace(
            "  feature seats = 10\n}",
            "  feature seats = 10\n  products render, bulk, voice\n}",
        )
        .replace(
            "  allow identical-plans \"a seat-based plan priced like Pro\"\n",
            "",
        )
        .replace(
            "quote plan team product bulk quantity 1 image rejects \"not available\"",
            "quote plan team product bulk quantity 1 image == 2 credit",
        );
    let checked = check_book(&book);
    // Team's own `products` list replaces Pro's, and with it Pro's `deny bulk`.
    assert!(checked.diagnostics.is_empty(), "{:#?}", checked.diagnostics);
    let model = checked.model.expect("a model");
    let team = &model.plans[model.plan_index("team").expect("team")];
    let bulk = model.product_index("bulk").expect("bulk");
    assert!(team.available[bulk]);
}
