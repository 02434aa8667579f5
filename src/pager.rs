//! Page arithmetic in one place: a page number and a page size from a
//! request, clamped so that no offset or page count can overflow, whatever
//! number an address carries (`?page=9223372036854775807`).

/// A page of a listing: 1-based page number and rows per page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pager {
    page: i64,
    per_page: i64,
}

impl Pager {
    /// `page` below 1 is page 1; `per_page` below 1 is 1. The page is kept
    /// small enough that its offset, `(page - 1) * per_page`, fits an `i64`.
    pub fn new(page: i64, per_page: i64) -> Pager {
        let per_page = per_page.max(1);
        let last = i64::MAX / per_page;
        Pager {
            page: page.clamp(1, last),
            per_page,
        }
    }

    /// The same page size, the page brought within the `total` rows' pages.
    pub fn within(self, total: i64) -> Pager {
        Pager {
            page: self.page.min(self.pages(total)),
            ..self
        }
    }

    pub fn page(&self) -> i64 {
        self.page
    }

    pub fn per_page(&self) -> i64 {
        self.per_page
    }

    /// Rows before this page.
    pub fn offset(&self) -> i64 {
        (self.page - 1).saturating_mul(self.per_page)
    }

    /// Pages of `total` rows (at least 1, so an empty list has page 1 of 1).
    pub fn pages(&self, total: i64) -> i64 {
        let total = total.max(0);
        (total / self.per_page + i64::from(total % self.per_page != 0)).max(1)
    }

    /// The previous and next page numbers, if any, among `total` rows' pages.
    pub fn neighbours(&self, total: i64) -> (Option<i64>, Option<i64>) {
        let pages = self.pages(total);
        (
            (self.page > 1).then(|| self.page - 1),
            (self.page < pages).then(|| self.page + 1),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::Pager;

    #[test]
    fn clamps_and_counts() {
        assert_eq!(Pager::new(0, 10).page(), 1);
        assert_eq!(Pager::new(5, 10).within(11).page(), 2);
        assert_eq!(Pager::new(2, 10).neighbours(25), (Some(1), Some(3)));
        assert_eq!(Pager::new(3, 10).neighbours(25), (Some(2), None));
        assert_eq!(Pager::new(i64::MAX, i64::MAX).offset(), 0);
    }
}
