//! The examples' progress display: with output going to a file or a pipe it writes one plain
//! line per epoch and never a `\r` frame (a log of the digits example used to hold 4,500).

use crate::examples_common::progress::Progress;

#[test]
fn piped_output_gets_one_line_per_epoch_and_no_carriage_returns() {
    let mut p = Progress::new(3, Vec::new(), false);
    for epoch in 1..=3 {
        for batch in 0..45 {
            p.batch(1.0 / (batch + 1) as f32);
        }
        p.epoch(epoch, 0.5 / epoch as f32, 0.9);
    }
    let log = String::from_utf8(p.into_log()).unwrap();
    assert!(!log.contains('\r'), "{log:?}");
    assert_eq!(log.lines().count(), 3, "{log}");
    assert!(
        log.lines()
            .next()
            .unwrap()
            .starts_with("epoch   1/3 loss 0.5000, test accuracy 0.9000")
    );
}

#[test]
fn on_a_terminal_the_bar_writes_nothing_to_the_log() {
    // The bar draws itself (to the terminal, rate-limited); the plain log stays empty.
    let mut p = Progress::new(2, Vec::new(), true);
    p.batch(0.3);
    p.epoch(1, 0.3, 0.8);
    assert!(p.into_log().is_empty());
}
