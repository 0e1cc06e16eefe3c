//! Chart SVGs are re-emitted through an allow-list before they are inlined into a report:
//! the page promises no script and nothing fetched, and an SVG file in an output folder is
//! input like any other. Only the elements and attributes plotters writes survive; every
//! other element is dropped with its content (`script`, `style`, `foreignObject`, `image`,
//! `a`, `use`, …), every other attribute is dropped (event handlers, `href`, `style`, …), and
//! so is an allowed attribute whose value could reach outside (`url(`, `javascript:`, CSS
//! escapes). Text and values are decoded and escaped again, so nothing passes through
//! verbatim. Anything that is not well-formed is refused with the reason.

/// Elements plotters' SVG backend writes, and harmless structure around them.
const ELEMENTS: [&str; 13] = [
    "svg", "g", "rect", "line", "polyline", "polygon", "circle", "ellipse", "path", "text",
    "tspan", "title", "desc",
];

const ATTRIBUTES: [&str; 33] = [
    "width",
    "height",
    "viewBox",
    "x",
    "y",
    "x1",
    "y1",
    "x2",
    "y2",
    "cx",
    "cy",
    "r",
    "rx",
    "ry",
    "dx",
    "dy",
    "d",
    "points",
    "fill",
    "fill-opacity",
    "stroke",
    "stroke-width",
    "stroke-opacity",
    "stroke-dasharray",
    "stroke-linecap",
    "stroke-linejoin",
    "opacity",
    "font-family",
    "font-size",
    "font-weight",
    "font-style",
    "text-anchor",
    "transform",
];

/// Also allowed, and the only other one: the SVG namespace declaration, with exactly this
/// value.
const XMLNS: &str = "http://www.w3.org/2000/svg";

const MAX_DEPTH: usize = 64;

fn value_is_safe(v: &str) -> bool {
    let v: String = v
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_lowercase();
    !(v.contains("url(")
        || v.contains("javascript:")
        || v.contains("expression(")
        || v.contains('\\')
        || v.contains('@'))
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Decodes the five XML entities and numeric character references; anything else (an entity
/// a DOCTYPE might define) is refused.
fn decode(s: &str) -> Result<String, String> {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        let tail = &rest[i + 1..];
        let end = tail
            .find(';')
            .filter(|&e| e <= 10)
            .ok_or("an `&` that starts no entity")?;
        let name = &tail[..end];
        let c = match name {
            "lt" => '<',
            "gt" => '>',
            "amp" => '&',
            "quot" => '"',
            "apos" => '\'',
            _ => {
                let code = if let Some(h) = name.strip_prefix("#x") {
                    u32::from_str_radix(h, 16).ok()
                } else if let Some(d) = name.strip_prefix('#') {
                    d.parse().ok()
                } else {
                    None
                };
                code.and_then(char::from_u32)
                    .ok_or_else(|| format!("entity &{name}; is not allowed"))?
            }
        };
        out.push(c);
        rest = &tail[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | ':' | '-' | '.')
}

/// A cursor over the SVG text.
struct Cursor<'a> {
    s: &'a str,
}

impl<'a> Cursor<'a> {
    fn skip_ws(&mut self) {
        self.s = self.s.trim_start();
    }

    fn name(&mut self) -> Result<&'a str, String> {
        let end = self
            .s
            .find(|c: char| !is_name_char(c))
            .unwrap_or(self.s.len());
        if end == 0
            || !self
                .s
                .starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        {
            return Err(format!(
                "expected a name at `{}`",
                self.s.chars().take(20).collect::<String>()
            ));
        }
        let (name, rest) = self.s.split_at(end);
        self.s = rest;
        Ok(name)
    }

    /// Skips past `end`, or fails.
    fn skip_past(&mut self, end: &str, what: &str) -> Result<&'a str, String> {
        let i = self
            .s
            .find(end)
            .ok_or_else(|| format!("unterminated {what}"))?;
        let inner = &self.s[..i];
        self.s = &self.s[i + end.len()..];
        Ok(inner)
    }

    fn eat(&mut self, prefix: &str) -> bool {
        match self.s.strip_prefix(prefix) {
            Some(rest) => {
                self.s = rest;
                true
            }
            None => false,
        }
    }
}

/// A start tag's name, kept attributes and whether it closes itself.
fn start_tag<'a>(c: &mut Cursor<'a>) -> Result<(&'a str, String, bool), String> {
    let name = c.name()?;
    let mut attrs = String::new();
    loop {
        c.skip_ws();
        if c.eat("/>") {
            return Ok((name, attrs, true));
        }
        if c.eat(">") {
            return Ok((name, attrs, false));
        }
        let attr = c.name()?;
        c.skip_ws();
        if !c.eat("=") {
            return Err(format!("attribute {attr} without a value"));
        }
        c.skip_ws();
        let quote = if c.eat("\"") {
            "\""
        } else if c.eat("'") {
            "'"
        } else {
            return Err(format!("attribute {attr}: value not quoted"));
        };
        let raw = c.skip_past(quote, "attribute value")?;
        if raw.contains('<') {
            return Err(format!("attribute {attr}: `<` in a value"));
        }
        let value = decode(raw)?;
        let allowed = if attr == "xmlns" {
            value == XMLNS
        } else {
            ATTRIBUTES.contains(&attr) && value_is_safe(&value)
        };
        if allowed {
            attrs.push_str(&format!(" {attr}=\"{}\"", esc(&value)));
        }
    }
}

/// The sanitised `<svg>` element of `text` (anything before it, such as an XML declaration,
/// is dropped).
pub fn sanitise(text: &str) -> Result<String, String> {
    let start = text.find("<svg").ok_or("no <svg> element")?;
    let mut c = Cursor { s: &text[start..] };
    let mut out = String::with_capacity(text.len() - start);
    // Open elements: name, and whether it (and so everything inside) is kept.
    let mut open: Vec<(&str, bool)> = Vec::new();
    loop {
        let kept = open.last().is_none_or(|e| e.1);
        if c.eat("<!--") {
            c.skip_past("-->", "comment")?;
        } else if c.eat("<![CDATA[") {
            let inner = c.skip_past("]]>", "CDATA section")?;
            if kept {
                out.push_str(&esc(inner));
            }
        } else if c.eat("<?") {
            c.skip_past("?>", "processing instruction")?;
        } else if c.s.starts_with("<!") {
            return Err("a declaration inside the SVG".into());
        } else if c.eat("</") {
            let name = c.name()?;
            c.skip_ws();
            if !c.eat(">") {
                return Err(format!("malformed end tag </{name}"));
            }
            match open.pop() {
                Some((n, keep)) if n == name => {
                    if keep {
                        out.push_str(&format!("</{name}>"));
                    }
                }
                _ => return Err(format!("unexpected end tag </{name}>")),
            }
            if open.is_empty() {
                return Ok(out);
            }
        } else if c.eat("<") {
            let (name, attrs, closed) = start_tag(&mut c)?;
            let keep = kept && ELEMENTS.contains(&name);
            if open.is_empty() && name != "svg" {
                return Err(format!("the root element is <{name}>, not <svg>"));
            }
            if keep {
                out.push_str(&format!("<{name}{attrs}{}>", if closed { "/" } else { "" }));
            }
            if closed {
                if open.is_empty() {
                    return Ok(out);
                }
            } else {
                if open.len() >= MAX_DEPTH {
                    return Err(format!("elements nested deeper than {MAX_DEPTH}"));
                }
                open.push((name, keep));
            }
        } else if c.s.is_empty() {
            return Err("the <svg> element is not closed".into());
        } else {
            let end = c.s.find('<').unwrap_or(c.s.len());
            let (raw, rest) = c.s.split_at(end);
            c.s = rest;
            if kept {
                out.push_str(&esc(&decode(raw)?));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plotters_output_survives_unchanged_in_meaning() {
        let svg = "<?xml version=\"1.0\"?>\n<svg width=\"960\" height=\"600\" viewBox=\"0 0 960 600\" xmlns=\"http://www.w3.org/2000/svg\">\n<rect x=\"0\" y=\"0\" opacity=\"1\" fill=\"#FFFFFF\" stroke=\"none\"/>\n<text x=\"16\" dy=\"0.76em\" transform=\"rotate(270, 16, 291)\">\nA &amp; B &lt;1&gt;\n</text>\n</svg>\n";
        let out = sanitise(svg).unwrap();
        assert_eq!(out, &svg[svg.find("<svg").unwrap()..svg.len() - 1]);
    }

    #[test]
    fn hostile_content_is_dropped_and_malformed_refused() {
        let svg = "<svg xmlns=\"http://evil.example/\" onload=\"alert(1)\">\
            <script>alert(2)</script><SCRIPT>x</SCRIPT><svg:script>y</svg:script>\
            <image href=\"http://evil.example/a.png\"/><a xlink:href=\"javascript:z\"><rect/></a>\
            <foreignObject><iframe src=\"http://evil.example/\"/></foreignObject>\
            <style>@import url(http://evil.example/s.css);</style>\
            <rect fill=\"url(http://evil.example/p#g)\" stroke=\"u\\72l(x)\" style=\"x\" width=\"1\"/>\
            <text>&lt;script&gt;<![CDATA[<script>]]></text></svg>";
        let out = sanitise(svg).unwrap();
        assert_eq!(
            out,
            "<svg><rect width=\"1\"/><text>&lt;script&gt;&lt;script&gt;</text></svg>"
        );
        for bad in [
            "<svg><rect></svg>",
            "<svg><rect x=1/></svg>",
            "<svg><text>&xxe;</text></svg>",
            "<svg><!DOCTYPE x></svg>",
            "<svg>",
            "no svg here",
        ] {
            assert!(sanitise(bad).is_err(), "{bad}");
        }
    }
}
