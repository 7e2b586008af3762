//! The unified label (统一标识) as SVG: the grade as its five-step mark, the product's
//! names, the standard, the certificate number, the enterprise and model, and a QR code
//! of the certificate's public page.
//!
//! The label is drawn with its own font (`host/assets/fonts/`, Noto Sans CJK SC, shipped
//! in the binary; the server's fonts are never asked), and its text is turned into outlines
//! before it is served: the SVG needs no font in any viewer, and the PNG and the PDF are
//! drawn from that same SVG, so every server, viewer and printer shows the same label.

use maud::{Markup, PreEscaped, html};
use qrcode::{EcLevel, QrCode};
use resvg::{tiny_skia, usvg};

use crate::{model::GradeLevel, platform::Certificate};

/// The public page a certificate's QR code opens.
pub fn page_url(public_url: &str, number: &str) -> String {
    format!("{}/c/{number}", public_url.trim_end_matches('/'))
}

/// The grade's mark as the label draws it: five squares of the ladder, as many filled as the
/// grade has letters, with its top-left corner at (`x`, `y`).
fn steps(grade: GradeLevel, x: usize, y: usize) -> Markup {
    let filled = grade.as_str().len();
    html! {
        @for i in 0..5 {
            rect x=(x + i * 52) y=(y) width="44" height="44" rx="6" fill=(if i < filled { "#0b5" } else { "#ddd" }) {}
            text x=(x + 22 + i * 52) y=(y + 31) font-size="24" font-weight="700" fill="#fff" text-anchor="middle" { "A" }
        }
    }
}

/// The grade's mark on its own, `height` pixels high, for the pages: the label's drawing,
/// named for those who do not see it.
pub fn grade_mark(grade: GradeLevel, height: u32) -> Markup {
    html! {
        svg.mark role="img" aria-label={ (grade) " 等级 grade " (grade) " (" (grade.as_str().len()) " of 5)" }
            viewBox="0 0 252 44" width=(height * 252 / 44) height=(height) {
            (steps(grade, 0, 0))
        }
    }
}

/// A label as drawn, before its text becomes outlines: cheap to make, and what the served
/// label is a function of (its digest is the label's ETag).
pub struct Drawing {
    /// The SVG, its text as text in the label's font.
    pub svg: String,
    /// The label's words, line by line, as drawn: its accessible name once outlined.
    pub words: Vec<String>,
}

/// Everything a label's drawing is made of, and nothing else: equal contents draw equal
/// labels, so a content's digest names its drawing without drawing it (its QR code is
/// the costly part).
#[derive(Debug)]
pub struct Content {
    number: String,
    grade: GradeLevel,
    /// The product's names, Chinese and English.
    names: (String, String),
    standard: String,
    enterprise: String,
    model: String,
    /// The group grades, when the module groups its indicators.
    groups: Vec<String>,
    /// The page the QR code opens.
    url: String,
}

impl Content {
    /// The label of `certificate`, whose product is called `name_zh` / `name_en`.
    pub fn of(
        certificate: &Certificate,
        name_zh: &str,
        name_en: &str,
        public_url: &str,
    ) -> Content {
        Content {
            number: certificate.number.clone(),
            grade: certificate.grade,
            names: (name_zh.into(), name_en.into()),
            standard: certificate.standard.clone(),
            enterprise: certificate.enterprise.clone(),
            model: certificate.model.clone(),
            groups: certificate
                .group_grades()
                .into_iter()
                .map(|(group, grade)| {
                    format!(
                        "{} {}",
                        group.short_zh(),
                        grade.map_or("合格", |g| g.as_str())
                    )
                })
                .collect(),
            url: page_url(public_url, &certificate.number),
        }
    }

    /// SHA-256 of every field, each length-prefixed.
    pub fn digest(&self) -> [u8; 32] {
        use sha2::{Digest, Sha256};
        let mut hash = Sha256::new();
        let fields = [
            &self.number,
            self.grade.as_str(),
            &self.names.0,
            &self.names.1,
            &self.standard,
            &self.enterprise,
            &self.model,
            &self.url,
        ];
        for field in fields
            .into_iter()
            .chain(self.groups.iter().map(String::as_str))
        {
            hash.update((field.len() as u64).to_le_bytes());
            hash.update(field.as_bytes());
        }
        hash.finalize().into()
    }
}

/// The label drawn from `content`.
pub fn drawing(content: &Content) -> Drawing {
    let Content {
        number,
        grade,
        names: (name_zh, name_en),
        standard,
        enterprise,
        model,
        groups,
        url,
    } = content;
    let code = QrCode::with_error_correction_level(url.as_bytes(), EcLevel::M)
        .expect("a page URL fits a QR code");
    // Whole label units per module, the code at least 160 wide with its quiet zone of four
    // modules each side; the label widens to fit it.
    let modules = u32::try_from(code.width()).expect("a QR code is at most 177 modules wide");
    let unit = 160_u32.div_ceil(modules + 8);
    let qr_size = (modules + 8) * unit;
    let width = 480.max(300 + qr_size + 16);
    let qr_bottom = 70 + qr_size;
    // The code: its quiet zone white, each dark module a square of one path.
    let dark: String = code
        .to_colors()
        .iter()
        .zip(0..)
        .filter(|(color, _)| **color == qrcode::Color::Dark)
        .map(|(_, i)| {
            let (x, y) = ((i % modules + 4) * unit, (i / modules + 4) * unit);
            format!("M{x} {y}h{unit}v{unit}h-{unit}z")
        })
        .collect();
    let marks = steps(*grade, 24, 96);

    // Text beside the QR code keeps to the left column; a name that does not fit wraps
    // (up to a few lines) and then shrinks, but never runs under the code or off the label.
    let mut text = Text::default();
    text.lines(
        &format!("{name_zh} {name_en}"),
        80.0,
        16.0,
        1,
        LEFT_COLUMN,
        "#1b1b1b",
    );
    let mut lines = Text {
        y: 204.0,
        ..Text::default()
    };
    let standard = format!("标准 Standard: {standard}");
    lines.lines(&standard, 0.0, 14.0, 2, LEFT_COLUMN, "#333");
    lines.lines(enterprise, 0.0, 14.0, 3, LEFT_COLUMN, "#333");
    lines.lines(
        &format!("型号 Model: {model}"),
        0.0,
        14.0,
        2,
        LEFT_COLUMN,
        "#333",
    );
    lines.lines(
        &format!("证书 Certificate No. {number}"),
        0.0,
        14.0,
        1,
        LEFT_COLUMN,
        "#333",
    );
    // Below the code and the left column, lines run the label's width.
    let full = f64::from(width - 48);
    let mut below = Text {
        y: lines.y.max(f64::from(qr_bottom) + 8.0) + 6.0,
        ..Text::default()
    };
    if !groups.is_empty() {
        below.bold = true;
        below.lines(&groups.join(" · "), 0.0, 14.0, 2, full, "#0b5");
        below.bold = false;
    }
    below.lines(
        &format!("扫码验证 Scan to verify: {url}"),
        0.0,
        11.0,
        2,
        full,
        "#666",
    );
    let height = (below.y + 10.0).ceil() as u32;
    let title = "产品质量分级 Quality Grade";
    let lines: Vec<&Line> = [&text, &lines, &below]
        .into_iter()
        .flat_map(|t| &t.lines)
        .collect();
    let svg = html! {
        svg xmlns="http://www.w3.org/2000/svg" width=(width) height=(height)
            viewBox={ "0 0 " (width) " " (height) } font-family=(FAMILY) {
            rect x="2" y="2" width=(width - 4) height=(height - 4) rx="12" fill="#fff" stroke="#0b5" stroke-width="4" {}
            text #title x="24" y="44" font-size="22" font-weight="700" fill="#1b1b1b" { (title) }
            (marks)
            text #grade x="24" y="172" font-size="30" font-weight="700" fill="#0b5" letter-spacing="4" { (grade) }
            @for (i, line) in lines.iter().enumerate() {
                text id={ "line-" (i) } x="24" y=(format!("{:.1}", line.y)) font-size=(line.size)
                    font-weight=[line.bold.then_some("700")] fill=(line.fill) { (line.text) }
            }
            g #qr transform="translate(300 70)" {
                rect width=(qr_size) height=(qr_size) fill="#fff" {}
                path d=(dark) fill="#000" shape-rendering="crispEdges" {}
            }
        }
    }
    .into_string();
    let words = [title.to_string(), grade.to_string()]
        .into_iter()
        .chain(lines.iter().map(|l| l.text.clone()))
        .collect();
    Drawing { svg, words }
}

/// The label's one family: its own font, shipped in the binary.
const FAMILY: &str = "Noto Sans CJK SC";

/// The label as served: `drawing`'s text turned into outlines of the label's own font, given
/// its size in millimetres when it is to be printed at `size` (otherwise in its own units),
/// and named by its words for those who do not see it.
pub fn svg(drawing: &Drawing, size: Option<PrintSize>) -> Result<String, String> {
    let tree = tree(&drawing.svg)?;
    let outlined = tree.to_string(&usvg::WriteOptions {
        preserve_text: false,
        // Hundredths of a label unit are finer than a 300 dpi print's dots (a unit is at
        // most 0.21 mm); eight digits would only make the file three times longer.
        coordinates_precision: 2,
        indent: usvg::Indent::None,
        attributes_indent: usvg::Indent::None,
        ..usvg::WriteOptions::default()
    });
    let (width, height) = (tree.size().width(), tree.size().height());
    let (shown_width, shown_height) = match size {
        Some(size) => {
            let mm = size.width_mm() / f64::from(width);
            (
                format!("{:.2}mm", size.width_mm()),
                format!("{:.2}mm", f64::from(height) * mm),
            )
        }
        None => (width.to_string(), height.to_string()),
    };
    Ok(html! {
        svg xmlns="http://www.w3.org/2000/svg" role="img" width=(shown_width) height=(shown_height)
            viewBox={ "0 0 " (width) " " (height) } {
            title { (drawing.words.join("\n")) }
            // usvg's own writing of the parsed drawing: paths, no text.
            (PreEscaped(outlined))
        }
    }
    .into_string())
}

/// The width of the text column left of the QR code, in label units.
const LEFT_COLUMN: f64 = 264.0;

/// Smallest type a label prints; a longer text takes more lines instead.
const MIN_SIZE: f64 = 9.0;

/// Lines of text laid out downwards from `y`.
#[derive(Default)]
struct Text {
    lines: Vec<Line>,
    y: f64,
    bold: bool,
}

/// One line of a label's text, where it was laid out.
struct Line {
    text: String,
    y: f64,
    size: f64,
    bold: bool,
    fill: &'static str,
}

impl Text {
    /// `text` as at most `max_lines` lines of at most `width`, at `size` or smaller (down to
    /// [`MIN_SIZE`]); past that, as many lines as it takes. The first baseline is at `at`
    /// (or after the lines before).
    fn lines(
        &mut self,
        text: &str,
        at: f64,
        size: f64,
        max_lines: usize,
        width: f64,
        fill: &'static str,
    ) {
        let mut size = size;
        let mut lines = wrap(text, width / size);
        while lines.len() > max_lines && size > MIN_SIZE {
            size = (size - 1.0).max(MIN_SIZE);
            lines = wrap(text, width / size);
        }
        let mut y = if at > 0.0 { at } else { self.y + size * 1.35 };
        for text in lines {
            self.lines.push(Line {
                text,
                y,
                size,
                bold: self.bold,
                fill,
            });
            self.y = y + size * 0.3;
            y += size * 1.3;
        }
    }
}

/// A character's advance in ems, on the safe side for the label's font (whose Latin glyphs
/// are at most 0.6 em): ideographs and full-width forms 1 em.
fn em(c: char) -> f64 {
    match c {
        ' ' => 0.35,
        c if c.is_ascii() => 0.62,
        c if (c as u32) < 0x2E80 => 0.7,
        _ => 1.0,
    }
}

/// `text` in lines of at most `ems` ems: Latin words stay whole where they fit, ideographs
/// break anywhere.
fn wrap(text: &str, ems: f64) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    let mut used = 0.0;
    for c in text.chars() {
        if used + em(c) > ems && !line.is_empty() {
            // Break at the line's last space when the word being cut is Latin.
            let cut = match line.rfind(' ') {
                Some(space) if c.is_ascii_alphanumeric() && space > 0 => space,
                _ => line.len(),
            };
            let rest = line.split_off(cut).trim_start().to_string();
            lines.push(line.trim_end().to_string());
            used = rest.chars().map(em).sum();
            line = rest;
            if c == ' ' {
                continue;
            }
        }
        line.push(c);
        used += em(c);
    }
    if !line.trim().is_empty() {
        lines.push(line.trim_end().to_string());
    }
    lines
}

/// The physical sizes a label is printed at: a swing tag (吊牌) or a box (包装), by width;
/// the height follows the drawing, which is the same at every size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PrintSize {
    /// 60 mm wide.
    Tag,
    /// 100 mm wide.
    Box,
}

impl PrintSize {
    /// The size's name, as `?size=` spells it.
    pub fn name(self) -> &'static str {
        match self {
            PrintSize::Tag => "tag",
            PrintSize::Box => "box",
        }
    }

    /// The size with this name.
    pub fn parse(name: &str) -> Option<PrintSize> {
        [PrintSize::Tag, PrintSize::Box]
            .into_iter()
            .find(|s| s.name() == name)
    }

    /// Its width, in millimetres.
    pub fn width_mm(self) -> f64 {
        match self {
            PrintSize::Tag => 60.0,
            PrintSize::Box => 100.0,
        }
    }

    /// The scale a label at a printed size is rendered to PNG at: 300 dots per inch (its
    /// millimetres are read at CSS's 96 pixels to the inch).
    pub const PNG_SCALE: f32 = 300.0 / 96.0;
}

/// The label's font, regular and the bold of its few bold words (see the folder's README).
static REGULAR: &[u8] = include_bytes!("../../assets/fonts/NotoSansCJKsc-Regular.subset.otf");
static BOLD: &[u8] = include_bytes!("../../assets/fonts/NotoSansCJKsc-Bold.subset.otf");

/// A label's SVG parsed with the label's own fonts and no other.
fn tree(svg: &str) -> Result<usvg::Tree, String> {
    static FONTS: std::sync::LazyLock<std::sync::Arc<usvg::fontdb::Database>> =
        std::sync::LazyLock::new(|| {
            let mut fonts = usvg::fontdb::Database::new();
            for face in [REGULAR, BOLD] {
                fonts.load_font_source(usvg::fontdb::Source::Binary(std::sync::Arc::new(face)));
            }
            fonts.set_sans_serif_family(FAMILY);
            std::sync::Arc::new(fonts)
        });
    let options = usvg::Options {
        fontdb: FONTS.clone(),
        font_family: FAMILY.into(),
        ..usvg::Options::default()
    };
    usvg::Tree::from_str(svg, &options).map_err(|e| format!("label SVG: {e}"))
}

/// The label as PNG, rendered from its (outlined) SVG at `scale`.
pub fn png(svg: &str, scale: f32) -> Result<Vec<u8>, String> {
    let tree = tree(svg)?;
    let size = tree
        .size()
        .to_int_size()
        .scale_by(scale)
        .ok_or("label size")?;
    let mut pixmap = tiny_skia::Pixmap::new(size.width(), size.height()).ok_or("label size")?;
    pixmap.fill(tiny_skia::Color::WHITE);
    resvg::render(
        &tree,
        tiny_skia::Transform::from_scale(scale, scale),
        &mut pixmap.as_mut(),
    );
    pixmap.encode_png().map_err(|e| format!("label PNG: {e}"))
}

/// The label as a print-ready PDF: one page the label's size, drawn from the same (outlined)
/// SVG as vectors — the QR code's modules and the text's glyphs are paths, not pixels, and
/// there is no font for a print shop's viewer to substitute.
pub fn pdf(svg: &str) -> Result<Vec<u8>, String> {
    let tree = tree(svg)?;
    svg2pdf::to_pdf(
        &tree,
        svg2pdf::ConversionOptions::default(),
        // The drawing's pixels are CSS's, 96 to the inch (a label's millimetres became
        // pixels at that rate): the page is then the size the label says.
        svg2pdf::PageOptions { dpi: 96.0 },
    )
    .map_err(|e| format!("label PDF: {e}"))
}
