//! The timeline chart's geometry and choice of lines, computed once for the two places that
//! draw it: the HTML report (`html.rs`, SVG text) and the web app's compare view (yew).

/// In-use bytes per dump: the lines and where they go in a `w` × `h` SVG.
pub struct LineChart {
    pub w: f64,
    pub h: f64,
    left: f64,
    right: f64,
    top: f64,
    bottom: f64,
    /// Dumps (points per line).
    pub n: usize,
    max: f64,
    /// (name, bytes per dump), the whole heap first.
    pub lines: Vec<(String, Vec<u64>)>,
}

/// The margins: (left, right, top, bottom); the left one holds the byte labels.
pub type Margins = (f64, f64, f64, f64);

impl LineChart {
    /// The whole heap's line, then the classes flagged as growing in every dump (up to
    /// five) or, with none flagged, the first three of `classes` that grew at all.
    /// `classes`: (name, bytes per dump, flagged), largest growth first.
    pub fn new<'a>(
        (w, h): (f64, f64),
        (left, right, top, bottom): Margins,
        total: Vec<u64>,
        classes: impl Iterator<Item = (&'a str, &'a [u64], bool)> + Clone,
    ) -> LineChart {
        let n = total.len();
        let mut lines = vec![("heap in use (all objects)".to_string(), total)];
        let grown: Vec<(&str, &[u64], bool)> = if classes.clone().any(|c| c.2) {
            classes.filter(|c| c.2).take(5).collect()
        } else {
            classes
                .filter(|c| c.1.last() > c.1.first())
                .take(3)
                .collect()
        };
        lines.extend(
            grown
                .into_iter()
                .map(|(name, b, _)| (name.to_string(), b.to_vec())),
        );
        let max = lines
            .iter()
            .flat_map(|l| l.1.iter().copied())
            .max()
            .unwrap_or(1)
            .max(1) as f64;
        LineChart {
            w,
            h,
            left,
            right,
            top,
            bottom,
            n,
            max,
            lines,
        }
    }

    pub fn x(&self, i: usize) -> f64 {
        let span = self.w - self.left - self.right;
        if self.n <= 1 {
            self.left + span / 2.0
        } else {
            self.left + span * i as f64 / (self.n - 1) as f64
        }
    }

    pub fn y(&self, v: u64) -> f64 {
        self.top + (self.h - self.top - self.bottom) * (1.0 - v as f64 / self.max)
    }

    /// Five grid lines: (bytes, y).
    pub fn grid(&self) -> impl Iterator<Item = (u64, f64)> + '_ {
        (0..=4).map(|k| {
            let v = (self.max * k as f64 / 4.0) as u64;
            (v, self.y(v))
        })
    }

    /// Where the grid lines start and end, and where their labels are anchored.
    pub fn grid_x(&self) -> (f64, f64, f64) {
        (self.left, self.w - self.right, self.left - 6.0)
    }

    /// The y of the dump labels under the chart.
    pub fn label_y(&self, below: f64) -> f64 {
        self.h - self.bottom + below
    }

    /// Text anchor of dump `i`'s label: the end labels stay inside the chart.
    pub fn anchor(&self, i: usize) -> &'static str {
        match i {
            0 if self.n > 1 => "start",
            i if i + 1 == self.n && self.n > 1 => "end",
            _ => "middle",
        }
    }

    /// A line's `points` attribute.
    pub fn points(&self, values: &[u64]) -> String {
        values
            .iter()
            .enumerate()
            .map(|(i, &b)| format!("{:.1},{:.1}", self.x(i), self.y(b)))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_geometry() {
        let a = [1u64, 2, 3];
        let b = [3u64, 2, 1];
        let classes = [("grows", &a[..], false), ("shrinks", &b[..], false)];
        let c = LineChart::new(
            (100.0, 50.0),
            (10.0, 10.0, 0.0, 10.0),
            vec![4, 4, 4],
            classes.iter().copied(),
        );
        assert_eq!(c.lines.len(), 2, "the heap and the class that grew");
        assert_eq!((c.x(0), c.x(2)), (10.0, 90.0));
        assert_eq!((c.y(4), c.y(0)), (0.0, 40.0));
        assert_eq!(
            (c.anchor(0), c.anchor(1), c.anchor(2)),
            ("start", "middle", "end")
        );
        assert_eq!(c.points(&[0, 4]), "10.0,40.0 50.0,0.0");
    }
}
