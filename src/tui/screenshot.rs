//! Pictures of the console: a drawn buffer as SVG (for the README) or as
//! plain text (for diffs and tests).

use super::app::App;
use super::floor;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier};
use std::fmt::Write;

/// Draw the console into a buffer of `width` × `height` cells.
pub fn render(app: &App, width: u16, height: u16) -> Buffer {
    let area = Rect::new(0, 0, width, height);
    let mut buf = Buffer::empty(area);
    floor::draw(app, area, &mut buf);
    buf
}

/// The buffer's text, one line per row, trailing spaces trimmed.
pub fn to_text(buf: &Buffer) -> String {
    let area = buf.area;
    let mut out = String::new();
    for y in 0..area.height {
        let mut line = String::new();
        for x in 0..area.width {
            line.push_str(buf[(x, y)].symbol());
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// The 16 basic colours, as a dark terminal shows them.
fn hex(c: Color, fallback: &str) -> String {
    let named = match c {
        Color::Reset => return fallback.to_string(),
        Color::Black => "#000000",
        Color::Red => "#cd3131",
        Color::Green => "#0dbc79",
        Color::Yellow => "#e5e510",
        Color::Blue => "#2472c8",
        Color::Magenta => "#bc3fbc",
        Color::Cyan => "#11a8cd",
        Color::Gray => "#c0c0c0",
        Color::DarkGray => "#666666",
        Color::LightRed => "#f14c4c",
        Color::LightGreen => "#23d18b",
        Color::LightYellow => "#f5f543",
        Color::LightBlue => "#3b8eea",
        Color::LightMagenta => "#d670d6",
        Color::LightCyan => "#29b8db",
        Color::White => "#e5e5e5",
        Color::Rgb(r, g, b) => return format!("#{r:02x}{g:02x}{b:02x}"),
        Color::Indexed(i) => return indexed(i),
    };
    named.to_string()
}

fn indexed(i: u8) -> String {
    match i {
        0..=15 => hex(
            [
                Color::Black,
                Color::Red,
                Color::Green,
                Color::Yellow,
                Color::Blue,
                Color::Magenta,
                Color::Cyan,
                Color::Gray,
                Color::DarkGray,
                Color::LightRed,
                Color::LightGreen,
                Color::LightYellow,
                Color::LightBlue,
                Color::LightMagenta,
                Color::LightCyan,
                Color::White,
            ][i as usize],
            "#000000",
        ),
        16..=231 => {
            let i = i - 16;
            let v = |n: u8| if n == 0 { 0 } else { 55 + n * 40 };
            format!("#{:02x}{:02x}{:02x}", v(i / 36), v((i / 6) % 6), v(i % 6))
        }
        _ => {
            let g = 8 + (i - 232) * 10;
            format!("#{g:02x}{g:02x}{g:02x}")
        }
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// A cell's width and height in the picture.
const CW: f32 = 8.4;
const CH: f32 = 17.0;

/// The buffer as an SVG picture of a terminal.
pub fn to_svg(buf: &Buffer, background: Color, foreground: Color) -> String {
    let area = buf.area;
    let bg = hex(background, "#14171c");
    let fg = hex(foreground, "#d0d4da");
    let (w, h) = (area.width as f32 * CW, area.height as f32 * CH);
    let mut out = String::new();
    let _ = writeln!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w:.0}" height="{h:.0}" viewBox="0 0 {w:.0} {h:.0}" font-family="DejaVu Sans Mono, Menlo, Consolas, monospace" font-size="14">"#
    );
    let _ = writeln!(out, r#"<rect width="100%" height="100%" fill="{bg}"/>"#);
    for y in 0..area.height {
        backgrounds(&mut out, buf, y, &bg, &fg);
        texts(&mut out, buf, y, &bg, &fg);
    }
    out.push_str("</svg>\n");
    out
}

/// Row `y`'s backgrounds, merged into runs.
fn backgrounds(out: &mut String, buf: &Buffer, y: u16, bg: &str, fg: &str) {
    let area = buf.area;
    let mut x = 0;
    while x < area.width {
        let cell = &buf[(x, y)];
        let cbg = hex(cell.bg, bg);
        let reversed = cell.modifier.contains(Modifier::REVERSED);
        let start = x;
        while x < area.width
            && hex(buf[(x, y)].bg, bg) == cbg
            && buf[(x, y)].modifier.contains(Modifier::REVERSED) == reversed
        {
            x += 1;
        }
        let fill = if reversed {
            hex(cell.fg, fg)
        } else {
            cbg.clone()
        };
        if fill != bg {
            let _ = writeln!(
                out,
                r#"<rect x="{:.1}" y="{:.1}" width="{:.1}" height="{CH}" fill="{fill}"/>"#,
                start as f32 * CW,
                y as f32 * CH,
                (x - start) as f32 * CW
            );
        }
    }
}

/// Row `y`'s text, one span per run of the same style.
fn texts(out: &mut String, buf: &Buffer, y: u16, bg: &str, fg: &str) {
    let area = buf.area;
    let mut x = 0;
    while x < area.width {
        let cell = &buf[(x, y)];
        let style = (cell.fg, cell.bg, cell.modifier);
        let start = x;
        let mut text = String::new();
        while x < area.width {
            let c = &buf[(x, y)];
            if (c.fg, c.bg, c.modifier) != style {
                break;
            }
            text.push_str(c.symbol());
            x += 1;
        }
        if text.trim().is_empty() {
            continue;
        }
        let reversed = style.2.contains(Modifier::REVERSED);
        let color = if reversed {
            hex(style.1, bg)
        } else {
            hex(style.0, fg)
        };
        let weight = if style.2.contains(Modifier::BOLD) {
            r#" font-weight="bold""#
        } else {
            ""
        };
        let opacity = if style.2.contains(Modifier::DIM) {
            r#" opacity="0.6""#
        } else {
            ""
        };
        let _ = writeln!(
            out,
            r#"<text x="{:.1}" y="{:.1}" fill="{color}"{weight}{opacity} xml:space="preserve">{}</text>"#,
            start as f32 * CW,
            y as f32 * CH + CH * 0.78,
            escape(&text)
        );
    }
}
