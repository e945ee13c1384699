//! Dates as the sources write them.

use super::*;

#[test]
fn iso_and_naaccr_dates() {
    let d = |y, m, dd| Some(PartialDate { year: y, month: m, day: dd });
    assert_eq!(parse_date("2021-03-04"), d(2021, Some(3), Some(4)));
    assert_eq!(parse_date("2021-03-04T10:00:00Z"), d(2021, Some(3), Some(4)));
    assert_eq!(parse_date("2021-03"), d(2021, Some(3), None));
    assert_eq!(parse_date("2021"), d(2021, None, None));
    assert_eq!(parse_date("20210304"), d(2021, Some(3), Some(4)));
    assert_eq!(parse_date("20210399"), d(2021, Some(3), None));
    assert_eq!(parse_date("2021    "), d(2021, None, None));
    assert_eq!(parse_date("20219999"), d(2021, None, None));
    for bad in ["2021-02-30", "2021-13", "21-03-04", "2021031", "x", "", "2021-3-4", "２０２１"] {
        assert_eq!(parse_date(bad), None, "{bad}");
    }
}
