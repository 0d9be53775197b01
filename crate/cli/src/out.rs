//! Writing to stdout and stderr without panicking.

use std::io::{self, Write};

use crate::error::CliError;

/// One line on stdout. A closed pipe ends the output quietly: the reader has what it wanted.
pub fn line(text: &str) -> Result<(), CliError> {
    let mut stdout = io::stdout().lock();
    match writeln!(stdout, "{text}").and_then(|()| stdout.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(CliError::io("cannot write to", "stdout".as_ref(), e)),
    }
}

/// One line on stderr (notes, candidates, prompts' context). Errors writing stderr are ignored:
/// there is nowhere left to report them.
pub fn note(text: &str) {
    let _ = writeln!(io::stderr().lock(), "{text}");
}

/// The final error line: `tessera: error: ...`, forced onto one line whatever it quotes.
pub fn error_line(text: &str) {
    let one_line: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    note(&format!("tessera: error: {one_line}"));
}
