//! Privacy areas: rectangles of a camera's picture (a neighbour's window, a
//! courtyard) filled before any picture is stored, in percent of the
//! picture so they hold whatever size the camera sends.

/// A rectangle in percent of the picture: left, top, width, height.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Area {
    pub x: u32,
    pub y: u32,
    pub w: u32,
    pub h: u32,
}

impl Area {
    /// The rectangle in pixels of a `width` x `height` picture.
    pub fn pixels(&self, width: u32, height: u32) -> (u32, u32, u32, u32) {
        let scale = |v: u32, of: u32| ((u64::from(v) * u64::from(of)) / 100) as u32;
        let (x, y) = (scale(self.x, width), scale(self.y, height));
        // Round the far edge up so a mask never leaves a sliver uncovered.
        let right =
            ((u64::from(self.x + self.w) * u64::from(width)).div_ceil(100) as u32).min(width);
        let bottom =
            ((u64::from(self.y + self.h) * u64::from(height)).div_ceil(100) as u32).min(height);
        (x, y, right.saturating_sub(x), bottom.saturating_sub(y))
    }
}

/// At most this many areas a camera.
pub const MAX_AREAS: usize = 8;

/// Reads the stored form, `x,y,w,h` per area separated by `;`.
pub fn parse(stored: &str) -> Result<Vec<Area>, String> {
    parse_lines(stored.split(';'))
}

/// Reads what the form's text box holds: one area a line, `左,上,宽,高` in
/// percent (Chinese commas and spaces are fine).
pub fn parse_form(text: &str) -> Result<Vec<Area>, String> {
    parse_lines(text.lines())
}

fn parse_lines<'a>(lines: impl Iterator<Item = &'a str>) -> Result<Vec<Area>, String> {
    let mut out = Vec::new();
    for (i, line) in lines.enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let n = i + 1;
        let numbers: Vec<&str> = line
            .split([',', '，', ' ', '\t'])
            .filter(|s| !s.is_empty())
            .collect();
        if numbers.len() != 4 {
            return Err(format!("第 {n} 个区域应是四个数：左,上,宽,高（百分比）"));
        }
        let mut v = [0u32; 4];
        for (slot, s) in v.iter_mut().zip(&numbers) {
            *slot = s
                .trim_end_matches('%')
                .parse::<u32>()
                .map_err(|_| format!("第 {n} 个区域里的“{s}”不是 0 到 100 的整数"))?;
        }
        let area = Area {
            x: v[0],
            y: v[1],
            w: v[2],
            h: v[3],
        };
        if area.w == 0 || area.h == 0 {
            return Err(format!("第 {n} 个区域的宽和高不能为 0"));
        }
        if area.x > 100 || area.y > 100 || area.x + area.w > 100 || area.y + area.h > 100 {
            return Err(format!(
                "第 {n} 个区域超出了画面（左+宽、上+高都不能超过 100）"
            ));
        }
        out.push(area);
    }
    if out.len() > MAX_AREAS {
        return Err(format!("最多设置 {MAX_AREAS} 个遮挡区域"));
    }
    Ok(out)
}

/// The stored form of areas.
pub fn store(areas: &[Area]) -> String {
    areas
        .iter()
        .map(|a| format!("{},{},{},{}", a.x, a.y, a.w, a.h))
        .collect::<Vec<_>>()
        .join(";")
}

/// What the form's text box shows.
pub fn form_text(areas: &[Area]) -> String {
    areas
        .iter()
        .map(|a| format!("{},{},{},{}", a.x, a.y, a.w, a.h))
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn areas_round_trip() {
        let areas = parse_form("10,20,30,40\n\n 0，0，100，5% ").unwrap();
        assert_eq!(areas.len(), 2);
        assert_eq!(parse(&store(&areas)).unwrap(), areas);
        assert_eq!(form_text(&areas), "10,20,30,40\n0,0,100,5");
        assert_eq!(parse("").unwrap(), vec![]);
    }

    #[test]
    fn areas_outside_the_picture_are_refused() {
        assert!(parse_form("90,0,20,10").unwrap_err().contains("超出"));
        assert!(parse_form("0,0,0,10").unwrap_err().contains("不能为 0"));
        assert!(parse_form("1,2,3").unwrap_err().contains("四个数"));
        assert!(parse_form("a,2,3,4").unwrap_err().contains("不是"));
        assert!(parse_form("-1,2,3,4").is_err());
        assert!(parse_form(&"1,1,1,1\n".repeat(9)).is_err());
    }

    #[test]
    fn pixels_cover_the_area() {
        let a = Area {
            x: 10,
            y: 10,
            w: 33,
            h: 50,
        };
        assert_eq!(a.pixels(640, 360), (64, 36, 212, 180));
        let all = Area {
            x: 0,
            y: 0,
            w: 100,
            h: 100,
        };
        assert_eq!(all.pixels(7, 5), (0, 0, 7, 5));
    }
}
