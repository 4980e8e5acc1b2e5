//! Audio: the container is recognised from its first bytes, then symphonia reads it through
//! (demuxing every packet, not decoding) to check it and find its duration. The stored file is
//! the original bytes; only the content type is Roadie's.

use std::{
    fs::File,
    io::{self, Read, Seek, SeekFrom},
    path::Path,
};

use symphonia::core::{
    codecs::{
        audio::{well_known as codecs, CODEC_ID_NULL_AUDIO},
        CodecParameters,
    },
    errors::Error as SymError,
    formats::{probe::Hint, well_known as formats, FormatOptions, TrackType},
    io::{MediaSource, MediaSourceStream, MediaSourceStreamOptions},
    meta::MetadataOptions,
    units::{Duration, TimeBase},
};

use super::MediaError;

/// The audio containers accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AudioContainer {
    /// MPEG-1/2 Layer III.
    Mp3,
    /// Ogg with Vorbis or Opus (or FLAC).
    Ogg,
    Flac,
    /// MPEG-4 audio (`.m4a`) with AAC.
    Mp4,
    /// RIFF WAVE.
    Wav,
}

impl AudioContainer {
    pub fn content_type(self) -> &'static str {
        match self {
            AudioContainer::Mp3 => "audio/mpeg",
            AudioContainer::Ogg => "audio/ogg",
            AudioContainer::Flac => "audio/flac",
            AudioContainer::Mp4 => "audio/mp4",
            AudioContainer::Wav => "audio/wav",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            AudioContainer::Mp3 => "mp3",
            AudioContainer::Ogg => "ogg",
            AudioContainer::Flac => "flac",
            AudioContainer::Mp4 => "m4a",
            AudioContainer::Wav => "wav",
        }
    }

    pub fn from_extension(ext: &str) -> Option<AudioContainer> {
        [
            AudioContainer::Mp3,
            AudioContainer::Ogg,
            AudioContainer::Flac,
            AudioContainer::Mp4,
            AudioContainer::Wav,
        ]
        .into_iter()
        .find(|c| c.extension() == ext)
    }

    fn format_id(self) -> symphonia::core::formats::FormatId {
        match self {
            AudioContainer::Mp3 => formats::FORMAT_ID_MP3,
            AudioContainer::Ogg => formats::FORMAT_ID_OGG,
            AudioContainer::Flac => formats::FORMAT_ID_FLAC,
            AudioContainer::Mp4 => formats::FORMAT_ID_ISOMP4,
            AudioContainer::Wav => formats::FORMAT_ID_WAVE,
        }
    }
}

/// MP4 brands of audio files (images such as HEIC and AVIF use the same box structure).
const MP4_AUDIO_BRANDS: &[&[u8; 4]] = &[
    b"M4A ", b"M4B ", b"mp41", b"mp42", b"isom", b"iso2", b"iso4", b"iso5", b"iso6", b"dash",
];

/// The container a file starting with `head` claims to be. A leading ID3v2 tag counts as MP3
/// here; [`probe`] looks behind it.
pub fn sniff(head: &[u8]) -> Option<AudioContainer> {
    if head.starts_with(b"ID3") {
        return Some(AudioContainer::Mp3);
    }
    sniff_container(head)
}

fn sniff_container(head: &[u8]) -> Option<AudioContainer> {
    if head.starts_with(b"OggS") {
        Some(AudioContainer::Ogg)
    } else if head.starts_with(b"fLaC") {
        Some(AudioContainer::Flac)
    } else if head.len() >= 12 && &head[0..4] == b"RIFF" && &head[8..12] == b"WAVE" {
        Some(AudioContainer::Wav)
    } else if head.len() >= 12
        && &head[4..8] == b"ftyp"
        && MP4_AUDIO_BRANDS.iter().any(|b| &head[8..12] == *b)
    {
        Some(AudioContainer::Mp4)
    } else if is_mp3_frame_header(head) {
        Some(AudioContainer::Mp3)
    } else {
        None
    }
}

/// An MPEG audio Layer III frame header (sync word, valid version, bit rate and sample rate).
fn is_mp3_frame_header(h: &[u8]) -> bool {
    h.len() >= 4
        && h[0] == 0xFF
        && h[1] & 0xE0 == 0xE0
        && (h[1] >> 3) & 0b11 != 0b01
        && (h[1] >> 1) & 0b11 == 0b01
        && h[2] >> 4 != 0xF
        && (h[2] >> 2) & 0b11 != 0b11
}

/// What reading an audio file found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbedAudio {
    pub container: AudioContainer,
    pub duration_ms: u64,
}

/// Checks that `path` is audio in one of the accepted containers and codecs, readable to its
/// end, and returns its duration. Blocking: call it from a blocking thread.
pub fn probe(path: &Path) -> Result<ProbedAudio, MediaError> {
    let mut file = File::open(path)?;
    let len = file.metadata()?.len();
    let start = skip_id3v2(&mut file, len)?;
    let mut head = [0u8; 16];
    file.seek(SeekFrom::Start(start))?;
    let n = read_up_to(&mut file, &mut head)?;
    let container = sniff_container(&head[..n]).ok_or_else(unsupported)?;

    let mut source = Window {
        file: File::open(path)?,
        start,
        len: len - start,
    };
    source.seek(SeekFrom::Start(0))?;
    let mss = MediaSourceStream::new(Box::new(source), MediaSourceStreamOptions::default());
    let mut reader = symphonia::default::get_probe()
        .probe(
            &Hint::new(),
            mss,
            FormatOptions::default(),
            MetadataOptions::default(),
        )
        .map_err(read_error)?;
    if reader.format_info().format != container.format_id() {
        return Err(unsupported());
    }
    if reader
        .tracks()
        .iter()
        .any(|t| matches!(t.codec_params, Some(CodecParameters::Video(_))))
    {
        return Err(MediaError::Unsupported(
            "video files are not accepted".to_owned(),
        ));
    }
    let track = reader
        .default_track(TrackType::Audio)
        .ok_or_else(|| MediaError::Invalid("the file has no audio track".to_owned()))?
        .clone();
    let Some(CodecParameters::Audio(params)) = &track.codec_params else {
        return Err(MediaError::Invalid(
            "the file has no audio track".to_owned(),
        ));
    };
    let codec = params.codec;
    let codec_ok = match container {
        AudioContainer::Mp3 => codec == codecs::CODEC_ID_MP3,
        AudioContainer::Ogg => [
            codecs::CODEC_ID_VORBIS,
            codecs::CODEC_ID_OPUS,
            codecs::CODEC_ID_FLAC,
        ]
        .contains(&codec),
        AudioContainer::Flac => codec == codecs::CODEC_ID_FLAC,
        AudioContainer::Mp4 => codec == codecs::CODEC_ID_AAC,
        AudioContainer::Wav => codec != CODEC_ID_NULL_AUDIO,
    };
    if !codec_ok {
        return Err(unsupported());
    }
    let sample_rate = params.sample_rate;

    // Read every packet: a damaged stream fails here, a cut one ends early.
    let (mut first, mut end, mut packets) = (i64::MAX, i64::MIN, 0u64);
    loop {
        match reader.next_packet() {
            Ok(Some(p)) => {
                if p.track_id == track.id {
                    packets += 1;
                    first = first.min(p.pts.get());
                    end = end.max(p.pts.get().saturating_add(p.dur.get() as i64));
                }
            }
            Ok(None) | Err(SymError::ResetRequired) => break,
            Err(SymError::IoError(e)) if e.kind() == io::ErrorKind::UnexpectedEof => break,
            Err(e) => return Err(read_error(e)),
        }
    }
    if packets == 0 {
        return Err(MediaError::Invalid("the file contains no audio".to_owned()));
    }
    let read_span = (end - first).max(0) as u64;
    if let Some(declared) = track.duration.map(Duration::get).filter(|d| *d > 0) {
        if read_span.saturating_mul(100) < declared.saturating_mul(95) {
            return Err(MediaError::Invalid(
                "the audio file is truncated".to_owned(),
            ));
        }
    }

    let to_ms = |units: u64| -> Option<u64> {
        match track.time_base {
            Some(tb) => ms_of(tb, units),
            None => sample_rate
                .filter(|r| *r > 0)
                .map(|r| units.saturating_mul(1000) / u64::from(r)),
        }
    };
    let mut duration_ms = None;
    if codec == codecs::CODEC_ID_OPUS {
        duration_ms = ogg_opus_duration_ms(&mut file, len)?;
    }
    if duration_ms.is_none() {
        duration_ms = match (track.duration, track.time_base, track.num_frames) {
            (Some(d), Some(tb), _) if d.get() > 0 => ms_of(tb, d.get()),
            (_, _, Some(frames)) if frames > 0 => sample_rate
                .filter(|r| *r > 0)
                .map(|r| frames.saturating_mul(1000) / u64::from(r)),
            _ => None,
        };
    }
    let duration_ms = duration_ms
        .or_else(|| to_ms(read_span))
        .ok_or_else(|| MediaError::Invalid("the duration of the audio is unknown".to_owned()))?;
    Ok(ProbedAudio {
        container,
        duration_ms,
    })
}

fn ms_of(tb: TimeBase, units: u64) -> Option<u64> {
    let time = tb.calc_duration(Duration::from(units))?;
    u64::try_from(time.as_millis()).ok()
}

fn unsupported() -> MediaError {
    MediaError::Unsupported(
        "audio must be MP3, Ogg (Vorbis or Opus), FLAC, M4A (AAC) or WAV".to_owned(),
    )
}

fn read_error(e: SymError) -> MediaError {
    match e {
        SymError::Unsupported(what) => {
            MediaError::Unsupported(format!("unsupported audio: {what}"))
        }
        SymError::LimitError(what) => {
            MediaError::Invalid(format!("the audio file is refused: {what}"))
        }
        other => MediaError::Invalid(format!("the audio file is damaged or truncated: {other}")),
    }
}

/// Reads until `buf` is full or the file ends.
fn read_up_to(file: &mut File, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match file.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

/// The offset after any leading ID3v2 tags (MP3 files often start with one, cover art included,
/// which may be larger than symphonia's probe window).
fn skip_id3v2(file: &mut File, len: u64) -> io::Result<u64> {
    let mut pos = 0u64;
    for _ in 0..8 {
        let mut h = [0u8; 10];
        file.seek(SeekFrom::Start(pos))?;
        if read_up_to(file, &mut h)? < 10
            || &h[0..3] != b"ID3"
            || h[6..10].iter().any(|b| b & 0x80 != 0)
        {
            break;
        }
        let size = h[6..10]
            .iter()
            .fold(0u64, |acc, b| (acc << 7) | u64::from(*b));
        let footer = if h[5] & 0x10 != 0 { 10 } else { 0 };
        let next = pos + 10 + size + footer;
        if next >= len {
            break;
        }
        pos = next;
    }
    Ok(pos)
}

/// The part of a file from `start` on, as a media source of its own.
struct Window {
    file: File,
    start: u64,
    len: u64,
}

impl Read for Window {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.file.read(buf)
    }
}

impl Seek for Window {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        let target = match pos {
            SeekFrom::Start(n) => Some(n),
            SeekFrom::End(d) => self.len.checked_add_signed(d),
            SeekFrom::Current(d) => {
                let cur = self.file.stream_position()? - self.start;
                cur.checked_add_signed(d)
            }
        }
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "seek before start"))?;
        Ok(self.file.seek(SeekFrom::Start(self.start + target))? - self.start)
    }
}

impl MediaSource for Window {
    fn is_seekable(&self) -> bool {
        true
    }
    fn byte_len(&self) -> Option<u64> {
        Some(self.len)
    }
}

/// Duration of an Ogg Opus stream from the granule position of its last page (48 kHz samples)
/// minus the pre-skip of its `OpusHead`, as RFC 7845 defines it. `None` when the file does not
/// have that shape.
pub fn ogg_opus_duration_ms<R: Read + Seek>(file: &mut R, len: u64) -> io::Result<Option<u64>> {
    // First page: header, then the OpusHead packet.
    let mut first = [0u8; 27 + 255 + 19];
    file.seek(SeekFrom::Start(0))?;
    let mut n = 0;
    while n < first.len() {
        match file.read(&mut first[n..])? {
            0 => break,
            k => n += k,
        }
    }
    let first = &first[..n];
    if n < 27 || &first[0..4] != b"OggS" {
        return Ok(None);
    }
    let serial = &first[14..18];
    let segments = usize::from(first[26]);
    let body = 27 + segments;
    if first.len() < body + 12 || &first[body..body + 8] != b"OpusHead" {
        return Ok(None);
    }
    let pre_skip = u64::from(u16::from_le_bytes([first[body + 10], first[body + 11]]));

    // Last page of this stream with a granule position: search the tail backwards.
    let tail_len = len.min(65_536 + 27 + 255);
    let mut tail = vec![0u8; tail_len as usize];
    file.seek(SeekFrom::Start(len - tail_len))?;
    file.read_exact(&mut tail)?;
    let mut i = tail.len().saturating_sub(27);
    loop {
        if tail[i..].len() >= 27
            && &tail[i..i + 4] == b"OggS"
            && tail[i + 4] == 0
            && &tail[i + 14..i + 18] == serial
        {
            let granule = i64::from_le_bytes(tail[i + 6..i + 14].try_into().expect("8 bytes"));
            if granule >= 0 {
                let samples = (granule as u64).saturating_sub(pre_skip);
                return Ok(Some(samples * 1000 / 48_000));
            }
        }
        if i == 0 {
            return Ok(None);
        }
        i -= 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ogg_page(serial: u32, granule: i64, seq: u32, flags: u8, packet: &[u8]) -> Vec<u8> {
        let mut p = b"OggS".to_vec();
        p.push(0);
        p.push(flags);
        p.extend_from_slice(&granule.to_le_bytes());
        p.extend_from_slice(&serial.to_le_bytes());
        p.extend_from_slice(&seq.to_le_bytes());
        p.extend_from_slice(&[0; 4]);
        p.push(1);
        p.push(packet.len() as u8);
        p.extend_from_slice(packet);
        p
    }

    #[test]
    fn opus_duration_is_last_granule_minus_pre_skip() {
        let mut head = b"OpusHead".to_vec();
        head.push(1);
        head.push(2);
        head.extend_from_slice(&312u16.to_le_bytes());
        head.extend_from_slice(&48_000u32.to_le_bytes());
        head.extend_from_slice(&[0, 0, 0]);
        let mut file = ogg_page(7, 0, 0, 2, &head);
        file.extend(ogg_page(7, 0, 1, 0, b"OpusTags\0\0\0\0\0\0\0\0"));
        file.extend(ogg_page(7, 48_000, 2, 0, &[0xF8; 40]));
        file.extend(ogg_page(7, 312 + 2 * 48_000 + 24_000, 3, 4, &[0xF8; 40]));
        let len = file.len() as u64;
        let got = ogg_opus_duration_ms(&mut io::Cursor::new(file), len).unwrap();
        assert_eq!(got, Some(2500));
    }

    #[test]
    fn containers_are_recognised_by_their_first_bytes() {
        assert_eq!(sniff(b"ID3\x04\0\0\0\0\0\0"), Some(AudioContainer::Mp3));
        assert_eq!(sniff(&[0xFF, 0xFB, 0x90, 0x64]), Some(AudioContainer::Mp3));
        // ADTS AAC (layer bits 00) and a JPEG are not MP3.
        assert_eq!(sniff(&[0xFF, 0xF1, 0x50, 0x80]), None);
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE0]), None);
        assert_eq!(
            sniff(b"\0\0\0\x20ftypM4A \0\0\0\0"),
            Some(AudioContainer::Mp4)
        );
        assert_eq!(sniff(b"\0\0\0\x18ftypheic\0\0\0\0"), None);
        assert_eq!(sniff(b"fLaC\0\0\0\x22"), Some(AudioContainer::Flac));
        assert_eq!(sniff(b"RIFF\0\0\0\0WEBPVP8 "), None);
    }
}
