use std::time::Instant;

use super::*;

#[track_caller]
fn found(query: &str) -> City {
    match lookup(query) {
        Lookup::Found(city) => city,
        other => panic!("{query}: {other:?}"),
    }
}

#[track_caller]
fn place(query: &str) -> String {
    let city = found(query);
    format!("{}, {}, {}", city.name, city.admin1, city.country_code)
}

#[test]
fn berlin_is_in_germany() {
    let berlin = found("Berlin");
    assert_eq!(berlin.country_code, "DE");
    assert!((berlin.latitude - 52.52).abs() < 0.05, "{berlin:?}");
    assert!((berlin.longitude - 13.40).abs() < 0.05, "{berlin:?}");
    assert_eq!(berlin.timezone, "Europe/Berlin");
    assert_eq!(berlin.display(), "Berlin, DE");
    assert_eq!(found("berlin, de"), berlin);
    assert_eq!(found("  BERLIN ;Germany "), berlin);
}

#[test]
fn countries_after_a_comma_or_as_last_words() {
    for query in [
        "Leeds, UK",
        "Leeds UK",
        "Leeds, United Kingdom",
        "leeds united kingdom",
        "Leeds, GB",
        "Leeds, England",
        "Leeds, West Yorkshire, U.K.",
    ] {
        assert_eq!(place(query), "Leeds, ENG, GB", "{query}");
    }
    assert_eq!(found("Leeds").display(), "Leeds, GB");
    // An unknown qualifier is ignored.
    assert_eq!(found("Leeds, Narnia").display(), "Leeds, GB");
}

#[test]
fn exonyms_and_accents() {
    let munich = found("München");
    assert_eq!(munich.country_code, "DE");
    assert_eq!(found("Munich"), munich);
    assert_eq!(found("MUNCHEN"), munich);
    assert_eq!(found("Köln"), found("Cologne"));
    let sao_paulo = found("sao paulo");
    assert_eq!(sao_paulo.country_code, "BR");
    assert_eq!(sao_paulo.name, "São Paulo");
    assert_eq!(found("São Paulo"), sao_paulo);
    assert_eq!(found("Sao Paulo, Brazil"), sao_paulo);
    assert_eq!(found("Frankfurt am Main").country_code, "DE");
    assert_eq!(found("Frankfurt").name, "Frankfurt am Main");
    assert_eq!(found("lodz").name, "Łódź");
}

#[test]
fn largest_unless_a_country_or_region_says_otherwise() {
    assert_eq!(place("Paris"), "Paris, 11, FR");
    assert_eq!(place("Paris, US"), "Paris, TX, US");
    assert_eq!(place("Paris Texas"), "Paris, TX, US");
    assert_eq!(place("Portland"), "Portland, OR, US");
    assert_eq!(place("Portland, ME"), "Portland, ME, US");
    assert_eq!(place("Portland, Maine, USA"), "Portland, ME, US");
    assert_eq!(place("London"), "London, ENG, GB");
    assert_eq!(place("London, Ontario"), "London, 08, CA");
    // A GeoNames name beats a city's old alternate name (Portland, Maine, was Falmouth)...
    assert_eq!(place("Falmouth"), "Falmouth, ENG, GB");
    // ... unless the city with the alternate is far larger.
    assert_eq!(place("Hanover"), "Hannover, 06, DE");
    assert_eq!(place("St Petersburg"), "Saint Petersburg, 66, RU");
    assert_eq!(place("St. Petersburg, FL"), "St. Petersburg, FL, US");
    assert_eq!(place("Newcastle, UK"), "Newcastle upon Tyne, ENG, GB");
}

#[test]
fn comparable_namesakes_without_a_country_are_ambiguous() {
    let Lookup::Ambiguous(cities) = lookup("Cambridge") else {
        panic!("{:?}", lookup("Cambridge"));
    };
    let countries: Vec<&str> = cities.iter().map(|c| c.country_code.as_str()).collect();
    assert_eq!(cities[0].display(), "Cambridge, GB", "{cities:?}");
    assert!(
        countries.contains(&"US") && countries.contains(&"CA"),
        "{countries:?}"
    );
    assert!(cities
        .windows(2)
        .all(|w| w[0].population >= w[1].population));
    assert_eq!(place("Cambridge, UK"), "Cambridge, ENG, GB");
    assert_eq!(place("Cambridge, MA"), "Cambridge, MA, US");
    assert!(matches!(lookup("Springfield"), Lookup::Ambiguous(_)));
    // A short form of a city's own name joins the namesakes.
    let Lookup::Ambiguous(cities) = lookup("Newcastle") else {
        panic!("{:?}", lookup("Newcastle"));
    };
    assert!(
        cities.iter().any(|c| c.name == "Newcastle upon Tyne"),
        "{cities:?}"
    );
    assert_eq!(place("Springfield, Illinois"), "Springfield, IL, US");
}

#[test]
fn unknown_names_get_suggestions() {
    let Lookup::NotFound { suggestions } = lookup("Lieds") else {
        panic!("{:?}", lookup("Lieds"));
    };
    assert_eq!(suggestions[0].display(), "Leeds, GB", "{suggestions:?}");
    assert!(suggestions.len() <= 5);

    let Lookup::NotFound { suggestions } = lookup("Manchestre, UK") else {
        panic!();
    };
    assert_eq!(
        suggestions[0].display(),
        "Manchester, GB",
        "{suggestions:?}"
    );

    // Known, but not where the fan said: the real place comes first.
    let Lookup::NotFound { suggestions } = lookup("Leeds, France") else {
        panic!();
    };
    assert_eq!(suggestions[0].display(), "Leeds, GB", "{suggestions:?}");

    // Berlin, Ohio is too small for the data; North Canton, Ohio, once called Berlin, is no
    // answer, only a suggestion after Berlin, Germany.
    let Lookup::NotFound { suggestions } = lookup("Berlin, US") else {
        panic!("{:?}", lookup("Berlin, US"));
    };
    assert_eq!(suggestions[0].display(), "Berlin, DE", "{suggestions:?}");

    let Lookup::NotFound { suggestions } = lookup("Qwxzvbnmkj") else {
        panic!();
    };
    assert!(suggestions.is_empty(), "{suggestions:?}");
    assert_eq!(
        lookup(" , "),
        Lookup::NotFound {
            suggestions: vec![]
        }
    );
}

#[test]
fn great_circle_distances() {
    let (berlin, hamburg) = (found("Berlin"), found("Hamburg"));
    let d = berlin.distance_km(&hamburg);
    assert!((d - 255.0).abs() < 5.0, "{d}");
    assert_eq!(distance_km(10.0, 20.0, 10.0, 20.0), 0.0);
    // Half the meridian circle, pole to pole.
    let d = distance_km(90.0, 0.0, -90.0, 0.0);
    assert!(
        (d - std::f64::consts::PI * EARTH_RADIUS_KM).abs() < 1e-6,
        "{d}"
    );
    let leeds = found("Leeds, UK");
    let bradford = found("Bradford");
    assert!(leeds.distance_km(&bradford) < 80.0);
}

#[test]
fn prefix_search_is_largest_first() {
    let cities = search_prefix("Münch", 3);
    assert_eq!(cities[0].name, "Munich", "{cities:?}");
    let cities = search_prefix("lee", 10);
    assert!(cities.iter().any(|c| c.name == "Leeds"), "{cities:?}");
    assert!(cities
        .windows(2)
        .all(|w| w[0].population >= w[1].population));
    let ids: std::collections::HashSet<u32> = cities.iter().map(|c| c.geoname_id).collect();
    assert_eq!(ids.len(), cities.len(), "no city twice");
    assert_eq!(search_prefix("s", 7).len(), 7);
    assert!(search_prefix("", 5).is_empty());
    assert!(search_prefix("Leeds", 0).is_empty());
}

/// Prints what loading costs. Other tests may load the gazetteer first; for meaningful
/// figures run this one alone: `cargo test --lib geo::tests::load_cost -- --nocapture`.
#[test]
fn load_cost() {
    let rss_before = vm_rss_kib();
    let start = Instant::now();
    let g = gazetteer();
    let load_time = start.elapsed();
    let rss_after = vm_rss_kib();
    assert!(g.len() > 30_000, "{}", g.len());
    let start = Instant::now();
    let suggestions = g.lookup("Lieds");
    let suggest_time = start.elapsed();
    assert!(matches!(suggestions, Lookup::NotFound { .. }));
    eprintln!(
        "gazetteer: {} cities, {} KiB embedded gzip; first use took {load_time:?}; index {} KiB \
         on the heap; VmRSS {rss_before:?} → {rss_after:?} KiB; a NotFound lookup with \
         suggestions took {suggest_time:?}",
        g.len(),
        CITIES_TSV_GZ.len() / 1024,
        g.heap_bytes() / 1024,
    );
}

fn vm_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}
