//! A gazetteer of world cities, for tour dates: placing a show when only its city is given,
//! fans' "near Leeds, UK within 80 km" alerts, suggestions when a city cannot be placed, and
//! city autocomplete.
//!
//! The data are the GeoNames cities of 15,000 people or more (CC BY 4.0, see
//! `data/gazetteer/LICENSE.md`), built by `data/gazetteer/make.py` and compiled in. They are
//! parsed once, on first use ([`gazetteer`]). Names match accent- and case-insensitively
//! ([`normalize`]), by GeoNames name or by one of the Latin-script alternates kept
//! ("Munich" / "München", "Cologne" / "Köln").

mod index;
mod normalize;

use std::sync::LazyLock;

use serde::Serialize;

pub use index::Gazetteer;
pub use normalize::normalize;

/// `geonameid, name, alternates, country, admin1, latitude, longitude, population, timezone`.
const CITIES_TSV_GZ: &[u8] = include_bytes!("../../data/gazetteer/cities.tsv.gz");
/// `alias, country, admin1` (empty admin1: the whole country).
const QUALIFIERS_TSV: &str = include_str!("../../data/gazetteer/qualifiers.tsv");

static GAZETTEER: LazyLock<Gazetteer> = LazyLock::new(|| {
    Gazetteer::parse(CITIES_TSV_GZ, QUALIFIERS_TSV).expect("the embedded gazetteer parses")
});

/// Mean Earth radius (IUGG), in km.
pub const EARTH_RADIUS_KM: f64 = 6371.0088;

/// The embedded gazetteer, parsed on first call.
pub fn gazetteer() -> &'static Gazetteer {
    &GAZETTEER
}

/// [`Gazetteer::lookup`] on the embedded gazetteer.
pub fn lookup(query: &str) -> Lookup {
    gazetteer().lookup(query)
}

/// [`Gazetteer::search_prefix`] on the embedded gazetteer.
pub fn search_prefix(prefix: &str, limit: usize) -> Vec<City> {
    gazetteer().search_prefix(prefix, limit)
}

/// A city of the gazetteer.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct City {
    /// GeoNames id: stable, a fine key to store.
    pub geoname_id: u32,
    /// GeoNames' name, in the local spelling or the usual English one ("Köln", "Munich").
    pub name: String,
    /// ISO 3166-1 alpha-2, upper case ("GB").
    pub country_code: String,
    /// GeoNames admin1 code: the US state ("OR"), the UK nation ("ENG"), often a number.
    pub admin1: String,
    pub latitude: f64,
    pub longitude: f64,
    pub population: u32,
    /// IANA time zone ("Europe/London").
    pub timezone: String,
}

impl City {
    /// "Leeds, GB".
    pub fn display(&self) -> String {
        format!("{}, {}", self.name, self.country_code)
    }

    /// Great-circle distance to `other`, in km.
    pub fn distance_km(&self, other: &City) -> f64 {
        distance_km(
            self.latitude,
            self.longitude,
            other.latitude,
            other.longitude,
        )
    }
}

/// What a free-text city query found.
#[derive(Clone, Debug, PartialEq)]
pub enum Lookup {
    Found(City),
    /// No country or region was given and several places of that name have comparable
    /// populations (the runner-up at least a fifth of the largest): those, largest first.
    Ambiguous(Vec<City>),
    /// Up to five candidates, best first: places of that name outside the country given,
    /// then names within a small edit distance, then names starting with the query.
    NotFound {
        suggestions: Vec<City>,
    },
}

/// Great-circle distance between two points given in degrees, in km (haversine formula, mean
/// Earth radius [`EARTH_RADIUS_KM`]; within 0.5 % of the ellipsoidal distance).
pub fn distance_km(a_lat: f64, a_lon: f64, b_lat: f64, b_lon: f64) -> f64 {
    let (phi1, phi2) = (a_lat.to_radians(), b_lat.to_radians());
    let dphi = (b_lat - a_lat).to_radians();
    let dlambda = (b_lon - a_lon).to_radians();
    let h = (dphi / 2.0).sin().powi(2) + phi1.cos() * phi2.cos() * (dlambda / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_KM * h.sqrt().min(1.0).asin()
}

#[cfg(test)]
mod tests;
