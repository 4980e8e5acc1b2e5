//! The in-memory index: one compact `Place` per city, the display strings in one arena, and
//! every folded name (GeoNames name and alternates) in one sorted array, which serves exact
//! lookups, prefix search and the edit-distance scan alike.

use std::collections::{HashMap, HashSet};
use std::io::Read;

use super::normalize::normalize;
use super::{City, Lookup};

/// How many suggestions `Lookup::NotFound` carries.
const SUGGESTIONS: usize = 5;
/// At most this many places in `Lookup::Ambiguous`.
const AMBIGUOUS_MAX: usize = 10;
/// Two places are comparable when the smaller has at least 1/`COMPARABLE` of the larger's
/// population.
const COMPARABLE: u64 = 5;
/// With a country or region given, a place known there by an alternate name is still found when
/// the place elsewhere bearing that name is no more than `FAR` times larger ("Newcastle, UK";
/// not "Berlin, US", which would be North Canton, Ohio, once called Berlin).
const FAR: u64 = 50;
/// Trailing words tried as a country or region when there is no comma ("Leeds United Kingdom").
const QUALIFIER_MAX_WORDS: usize = 4;

/// The gazetteer. Get the embedded one with [`super::gazetteer`].
pub struct Gazetteer {
    places: Vec<Place>,
    /// Each place's name directly followed by its admin1 code.
    text: String,
    timezones: Vec<Box<str>>,
    /// The folded names, concatenated; `keys` points into it.
    key_text: String,
    /// Sorted by folded name, then place.
    keys: Vec<Key>,
    /// Folded country/region alias → the places it may mean ("me": Montenegro or Maine).
    qualifiers: HashMap<Box<str>, Vec<Scope>>,
}

/// 28 bytes a city.
struct Place {
    id: u32,
    population: u32,
    latitude: f32,
    longitude: f32,
    text_start: u32,
    name_len: u8,
    admin1_len: u8,
    timezone: u16,
    country: [u8; 2],
}

/// 12 bytes a name.
struct Key {
    start: u32,
    /// Index into `places`; the top bit marks an alternate name.
    place: u32,
    len: u16,
}

const ALTERNATE: u32 = 1 << 31;

impl Key {
    fn place(&self) -> u32 {
        self.place & !ALTERNATE
    }

    fn is_alternate(&self) -> bool {
        self.place & ALTERNATE != 0
    }
}

#[derive(Clone, Debug, PartialEq)]
struct Scope {
    country: [u8; 2],
    /// `None`: the whole country.
    admin1: Option<Box<str>>,
}

/// A parsed query: the folded city name and the qualifiers that followed it. A place must
/// satisfy every qualifier, and a qualifier is satisfied by any of its scopes.
struct Query {
    name: String,
    qualifiers: Vec<Vec<Scope>>,
}

impl Gazetteer {
    /// Parses the gzip'd city TSV and the qualifier TSV written by `data/gazetteer/make.py`.
    pub fn parse(cities_tsv_gz: &[u8], qualifiers_tsv: &str) -> Result<Self, String> {
        let mut tsv = String::new();
        flate2::read::GzDecoder::new(cities_tsv_gz)
            .read_to_string(&mut tsv)
            .map_err(|e| format!("cities: {e}"))?;
        let mut g = Gazetteer {
            places: Vec::new(),
            text: String::new(),
            timezones: Vec::new(),
            key_text: String::new(),
            keys: Vec::new(),
            qualifiers: HashMap::new(),
        };
        let mut timezones: HashMap<&str, u16> = HashMap::new();
        let mut seen: Vec<String> = Vec::new();
        for (n, line) in tsv.lines().enumerate() {
            if line.starts_with('#') || line.is_empty() {
                continue;
            }
            let bad = |what: &str| format!("cities line {}: {what}", n + 1);
            let f: Vec<&str> = line.split('\t').collect();
            let [id, name, alternates, country, admin1, lat, lon, population, timezone] = f[..]
            else {
                return Err(bad("not 9 fields"));
            };
            let country: [u8; 2] = country
                .as_bytes()
                .try_into()
                .map_err(|_| bad("country code"))?;
            let tz_count = timezones.len();
            let tz = *timezones.entry(timezone).or_insert_with(|| {
                g.timezones.push(timezone.into());
                tz_count as u16
            });
            let place = u32::try_from(g.places.len())
                .ok()
                .filter(|p| p & ALTERNATE == 0)
                .ok_or_else(|| bad("too many places"))?;
            g.places.push(Place {
                id: id.parse().map_err(|_| bad("id"))?,
                population: population.parse().map_err(|_| bad("population"))?,
                latitude: lat.parse().map_err(|_| bad("latitude"))?,
                longitude: lon.parse().map_err(|_| bad("longitude"))?,
                text_start: u32::try_from(g.text.len()).map_err(|_| bad("text too long"))?,
                name_len: u8::try_from(name.len()).map_err(|_| bad("name too long"))?,
                admin1_len: u8::try_from(admin1.len()).map_err(|_| bad("admin1 too long"))?,
                timezone: tz,
                country,
            });
            g.text.push_str(name);
            g.text.push_str(admin1);
            seen.clear();
            let names =
                std::iter::once(name).chain(alternates.split('|').filter(|a| !a.is_empty()));
            for (i, alias) in names.enumerate() {
                let key = normalize(alias);
                if key.is_empty() || seen.contains(&key) {
                    continue;
                }
                let flag = if i == 0 { 0 } else { ALTERNATE };
                g.keys.push(Key {
                    start: u32::try_from(g.key_text.len()).map_err(|_| bad("keys too long"))?,
                    place: place | flag,
                    len: u16::try_from(key.len()).map_err(|_| bad("name too long"))?,
                });
                g.key_text.push_str(&key);
                seen.push(key);
            }
        }
        if g.places.is_empty() {
            return Err("cities: no city".into());
        }
        let key_text = std::mem::take(&mut g.key_text);
        g.keys.sort_unstable_by(|a, b| {
            key_str(&key_text, a)
                .cmp(key_str(&key_text, b))
                .then(a.place.cmp(&b.place))
        });
        g.key_text = key_text;
        g.text.shrink_to_fit();
        g.key_text.shrink_to_fit();
        g.keys.shrink_to_fit();
        g.places.shrink_to_fit();

        for (n, line) in qualifiers_tsv.lines().enumerate() {
            if line.starts_with('#') || line.is_empty() {
                continue;
            }
            let bad = || format!("qualifiers line {}", n + 1);
            let mut f = line.split('\t');
            let (Some(alias), Some(country), admin1) = (f.next(), f.next(), f.next()) else {
                return Err(bad());
            };
            let country: [u8; 2] = country.as_bytes().try_into().map_err(|_| bad())?;
            let admin1 = admin1.filter(|a| !a.is_empty()).map(Box::from);
            let scopes = g.qualifiers.entry(normalize(alias).into()).or_default();
            let scope = Scope { country, admin1 };
            if !scopes.contains(&scope) {
                scopes.push(scope);
            }
        }
        Ok(g)
    }

    /// How many cities.
    pub fn len(&self) -> usize {
        self.places.len()
    }

    pub fn is_empty(&self) -> bool {
        self.places.is_empty()
    }

    /// Bytes the index holds on the heap (its vectors' and strings' capacities).
    pub fn heap_bytes(&self) -> usize {
        use std::mem::size_of;
        self.places.capacity() * size_of::<Place>()
            + self.text.capacity()
            + self.timezones.capacity() * size_of::<Box<str>>()
            + self.timezones.iter().map(|t| t.len()).sum::<usize>()
            + self.key_text.capacity()
            + self.keys.capacity() * size_of::<Key>()
            + self.qualifiers.capacity() * (size_of::<Box<str>>() + size_of::<Vec<Scope>>())
            + self
                .qualifiers
                .iter()
                .map(|(k, v)| k.len() + v.capacity() * size_of::<Scope>())
                .sum::<usize>()
    }

    /// Finds the city a free-text query means: "Berlin", "berlin, de", "Leeds UK",
    /// "Sao Paulo, Brazil", "Portland, OR", "Springfield, Illinois, USA".
    ///
    /// After a comma come a country (name, ISO code, common alias such as "UK") or a region
    /// (US state, UK nation, Canadian province, Australian state; name or code); without a
    /// comma, the last words are taken as one when the whole text is no city name. Unknown
    /// qualifiers are ignored. GeoNames names win over alternate names unless the place with
    /// the alternate is over five times larger ("Falmouth" is Falmouth, England, not Portland,
    /// Maine, once called so; "Hanover" is Hannover). With a qualifier the largest place
    /// within it is found; without one, [`Lookup::Ambiguous`] when places of comparable
    /// population (the runner-up at least a fifth of the largest) share the name, else the
    /// largest.
    pub fn lookup(&self, query: &str) -> Lookup {
        let query = self.parse_query(query);
        if query.name.is_empty() {
            return Lookup::NotFound {
                suggestions: Vec::new(),
            };
        }
        let pop = |p: &u32| u64::from(self.places[*p as usize].population);
        let (mut candidates, alternates) = self.exact(&query.name);
        // An alternate name counts when no place bears it as its GeoNames name, or when its
        // place dwarfs those that do: "Hanover" is Hannover, "Falmouth" is not Portland, Maine.
        let largest_named = candidates.iter().map(pop).max();
        let (strong, weak): (Vec<u32>, Vec<u32>) = alternates
            .into_iter()
            .partition(|p| largest_named.is_none_or(|n| pop(p) > n * COMPARABLE));
        candidates.extend(strong);
        if !query.qualifiers.is_empty() {
            let in_scope = |p: &u32| self.within(*p, &query.qualifiers);
            let weak_ok = |p: &u32| largest_named.is_some_and(|n| pop(p) * FAR >= n);
            let best = (candidates
                .iter()
                .filter(|p| in_scope(p))
                .max_by_key(|p| pop(p)))
            .or_else(|| {
                weak.iter()
                    .filter(|p| in_scope(p) && weak_ok(p))
                    .max_by_key(|p| pop(p))
            });
            if let Some(&p) = best {
                return Lookup::Found(self.city(p));
            }
            // Known elsewhere: say where.
            candidates.extend(weak);
            self.sort_by_population(&mut candidates);
            return self.not_found(&query, candidates);
        }
        if candidates.is_empty() {
            return self.not_found(&query, Vec::new());
        }
        self.sort_by_population(&mut candidates);
        let largest = pop(&candidates[0]);
        let comparable = |p: &&u32| pop(p) * COMPARABLE >= largest;
        let mut namesakes: Vec<u32> = candidates.iter().take_while(comparable).copied().collect();
        if namesakes.len() == 1 {
            return Lookup::Found(self.city(namesakes[0]));
        }
        // Already ambiguous: places whose own name starts with that one join in ("Newcastle":
        // Newcastle upon Tyne), not those with it as some other alternate (Dayton, Ohio, was
        // "Venice").
        let short_form = |p: &&u32| {
            let own = normalize(self.name(&self.places[**p as usize]));
            own.strip_prefix(query.name.as_str())
                .is_some_and(|rest| rest.starts_with(' '))
        };
        namesakes.extend(weak.iter().filter(comparable).filter(short_form));
        self.sort_by_population(&mut namesakes);
        namesakes.truncate(AMBIGUOUS_MAX);
        Lookup::Ambiguous(namesakes.into_iter().map(|p| self.city(p)).collect())
    }

    /// Cities with a name (GeoNames or alternate) starting with `prefix` once folded, largest
    /// first: for autocomplete. An empty prefix gives nothing.
    pub fn search_prefix(&self, prefix: &str, limit: usize) -> Vec<City> {
        let prefix = normalize(prefix);
        let mut places = self.prefixed(&prefix);
        places.truncate(limit);
        places.into_iter().map(|p| self.city(p)).collect()
    }

    /// Distinct places with a name starting with `prefix` (folded), largest first.
    fn prefixed(&self, prefix: &str) -> Vec<u32> {
        if prefix.is_empty() {
            return Vec::new();
        }
        let from = self.keys.partition_point(|k| self.key(k) < prefix);
        let mut places: Vec<u32> = self.keys[from..]
            .iter()
            .take_while(|k| self.key(k).starts_with(prefix))
            .map(Key::place)
            .collect();
        places.sort_unstable();
        places.dedup();
        self.sort_by_population(&mut places);
        places
    }

    fn parse_query(&self, text: &str) -> Query {
        let mut parts = text.split([',', ';']);
        let name = normalize(parts.next().unwrap_or(""));
        let qualifiers: Vec<Vec<Scope>> = parts
            .filter_map(|part| self.qualifiers.get(normalize(part).as_str()).cloned())
            .collect();
        if !qualifiers.is_empty() || text.contains([',', ';']) || self.has_name(&name) {
            return Query { name, qualifiers };
        }
        // "Leeds UK", "Leeds United Kingdom", "Perth Western Australia": longest tail first.
        let words: Vec<&str> = name.split(' ').collect();
        for n in (1..words.len().min(QUALIFIER_MAX_WORDS + 1)).rev() {
            let (head, tail) = words.split_at(words.len() - n);
            if let Some(scopes) = self.qualifiers.get(tail.join(" ").as_str()) {
                return Query {
                    name: head.join(" "),
                    qualifiers: vec![scopes.clone()],
                };
            }
        }
        Query { name, qualifiers }
    }

    fn has_name(&self, key: &str) -> bool {
        let i = self.keys.partition_point(|k| self.key(k) < key);
        self.keys.get(i).is_some_and(|k| self.key(k) == key)
    }

    /// Places whose GeoNames name is `key`, and places with `key` as an alternate name.
    fn exact(&self, key: &str) -> (Vec<u32>, Vec<u32>) {
        let from = self.keys.partition_point(|k| self.key(k) < key);
        let (mut names, mut alternates) = (Vec::new(), Vec::new());
        for k in self.keys[from..].iter().take_while(|k| self.key(k) == key) {
            if k.is_alternate() {
                alternates.push(k.place());
            } else {
                names.push(k.place());
            }
        }
        (names, alternates)
    }

    fn not_found(&self, query: &Query, mut suggestions: Vec<u32>) -> Lookup {
        suggestions.truncate(SUGGESTIONS);
        if suggestions.len() < SUGGESTIONS {
            let close = self.close_names(query);
            push_new(&mut suggestions, close);
        }
        if suggestions.len() < SUGGESTIONS {
            let prefixed = self.prefixed(&query.name);
            push_new(&mut suggestions, prefixed);
        }
        Lookup::NotFound {
            suggestions: suggestions.into_iter().map(|p| self.city(p)).collect(),
        }
    }

    /// Places with a name within a small edit distance of the query (optimal string alignment
    /// on the folded bytes: 1 for up to 4 bytes, 2 up to 8, else 3), those within the given
    /// country or region first, then by distance, GeoNames names before alternates, then
    /// largest first.
    fn close_names(&self, query: &Query) -> Vec<u32> {
        let q = query.name.as_bytes();
        let max = match q.len() {
            0..=4 => 1,
            5..=8 => 2,
            _ => 3,
        };
        let mut scratch = Osa::default();
        // Per place: the smallest distance, GeoNames names before alternates.
        let mut best: HashMap<u32, (usize, bool)> = HashMap::new();
        for k in &self.keys {
            if usize::from(k.len).abs_diff(q.len()) > max {
                continue;
            }
            if let Some(d) = scratch.within(q, self.key(k).as_bytes(), max) {
                let found = (d, k.is_alternate());
                let e = best.entry(k.place()).or_insert(found);
                *e = (*e).min(found);
            }
        }
        let mut found: Vec<(bool, (usize, bool), u32)> = best
            .into_iter()
            .map(|(p, d)| {
                let outside = !query.qualifiers.is_empty() && !self.within(p, &query.qualifiers);
                (outside, d, p)
            })
            .collect();
        found.sort_unstable_by_key(|&(outside, d, p)| {
            (
                outside,
                d,
                std::cmp::Reverse(self.places[p as usize].population),
                p,
            )
        });
        found.into_iter().map(|(_, _, p)| p).collect()
    }

    fn within(&self, place: u32, qualifiers: &[Vec<Scope>]) -> bool {
        let p = &self.places[place as usize];
        qualifiers.iter().all(|scopes| {
            scopes.iter().any(|s| {
                s.country == p.country
                    && s.admin1
                        .as_deref()
                        .is_none_or(|a| a.eq_ignore_ascii_case(self.admin1(p)))
            })
        })
    }

    fn sort_by_population(&self, places: &mut [u32]) {
        places.sort_by_key(|&p| (std::cmp::Reverse(self.places[p as usize].population), p));
    }

    fn key(&self, k: &Key) -> &str {
        key_str(&self.key_text, k)
    }

    fn name(&self, p: &Place) -> &str {
        let start = p.text_start as usize;
        &self.text[start..start + usize::from(p.name_len)]
    }

    fn admin1(&self, p: &Place) -> &str {
        let start = p.text_start as usize + usize::from(p.name_len);
        &self.text[start..start + usize::from(p.admin1_len)]
    }

    fn city(&self, place: u32) -> City {
        let p = &self.places[place as usize];
        City {
            geoname_id: p.id,
            name: self.name(p).to_owned(),
            country_code: String::from_utf8_lossy(&p.country).into_owned(),
            admin1: self.admin1(p).to_owned(),
            latitude: round5(p.latitude),
            longitude: round5(p.longitude),
            population: p.population,
            timezone: self.timezones[usize::from(p.timezone)].to_string(),
        }
    }
}

fn key_str<'a>(text: &'a str, k: &Key) -> &'a str {
    let start = k.start as usize;
    &text[start..start + usize::from(k.len)]
}

/// The f32 as the five decimals it was written with (52.52437, not 52.524368286…).
fn round5(v: f32) -> f64 {
    (f64::from(v) * 1e5).round() / 1e5
}

fn push_new(into: &mut Vec<u32>, more: Vec<u32>) {
    let mut seen: HashSet<u32> = into.iter().copied().collect();
    for p in more {
        if into.len() >= SUGGESTIONS {
            break;
        }
        if seen.insert(p) {
            into.push(p);
        }
    }
}

/// Optimal string alignment distance (Damerau-Levenshtein without moves across a transposed
/// pair), bounded: `None` once it must exceed `max`. Reuses its rows between calls.
#[derive(Default)]
struct Osa {
    rows: [Vec<usize>; 3],
}

impl Osa {
    fn within(&mut self, a: &[u8], b: &[u8], max: usize) -> Option<usize> {
        if a.len().abs_diff(b.len()) > max {
            return None;
        }
        let n = b.len();
        let [before, prev, cur] = &mut self.rows;
        for row in [&mut *before, &mut *prev, &mut *cur] {
            row.clear();
            row.resize(n + 1, 0);
        }
        for (j, v) in prev.iter_mut().enumerate() {
            *v = j;
        }
        for i in 1..=a.len() {
            cur[0] = i;
            let mut row_min = cur[0];
            for j in 1..=n {
                let cost = usize::from(a[i - 1] != b[j - 1]);
                let mut d = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
                if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                    d = d.min(before[j - 2] + 1);
                }
                cur[j] = d;
                row_min = row_min.min(d);
            }
            if row_min > max {
                return None;
            }
            std::mem::swap(before, prev);
            std::mem::swap(prev, cur);
        }
        Some(prev[n]).filter(|&d| d <= max)
    }
}
