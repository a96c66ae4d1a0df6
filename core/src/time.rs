//! Timestamps are milliseconds since the Unix epoch, shown in UTC so the
//! server-rendered page and the hydrated page print the same text.

/// Milliseconds since 1970-01-01T00:00:00Z.
pub type UnixMillis = i64;

const MILLIS_PER_DAY: i64 = 86_400_000;

/// "HH:MM" in UTC.
pub fn format_clock(at: UnixMillis) -> String {
    let minutes_of_day = at.rem_euclid(MILLIS_PER_DAY) / 60_000;
    format!("{:02}:{:02}", minutes_of_day / 60, minutes_of_day % 60)
}

/// "YYYY-MM-DD" in UTC.
pub fn format_date(at: UnixMillis) -> String {
    let (year, month, day) = civil_from_days(at.div_euclid(MILLIS_PER_DAY));
    format!("{year:04}-{month:02}-{day:02}")
}

/// Days since the epoch to a proleptic Gregorian date (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * month_index + 2) / 5 + 1) as u32;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_known_instants() {
        assert_eq!(format_date(0), "1970-01-01");
        assert_eq!(format_clock(0), "00:00");
        // 2026-11-22T01:56:22Z
        let at = 1_795_312_582_000;
        assert_eq!(format_date(at), "2026-11-22");
        assert_eq!(format_clock(at), "01:56");
        // 2024-02-29T23:59:00Z, a leap day
        assert_eq!(format_date(1_709_251_140_000), "2024-02-29");
        assert_eq!(format_clock(1_709_251_140_000), "23:59");
    }
}
