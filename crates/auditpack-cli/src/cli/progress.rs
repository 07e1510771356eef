//! The progress bar `collect` and `packet` draw on a terminal, fed by the library's
//! [`Progress`] events.

use std::time::Duration;

use auditpack::{Progress, ProgressSink};

/// A sink that draws "collecting N/M lists KIND" on stderr.
pub fn bar() -> ProgressSink {
    let bar = indicatif::ProgressBar::new(0);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{spinner} collecting {pos}/{len} lists {msg}")
            .expect("valid template"),
    );
    ProgressSink::new(move |p| match p {
        Progress::Started { lists } => {
            bar.set_length(lists as u64);
            // Keep the spinner moving while one slow list holds everything up.
            bar.enable_steady_tick(Duration::from_millis(120));
        }
        Progress::Listed { kind } => {
            bar.set_message(kind);
            bar.inc(1);
        }
        Progress::Finished => bar.finish_and_clear(),
    })
}
