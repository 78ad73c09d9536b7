//! How a reply looks in text mode as it streams.
//!
//! The answer's text goes to stdout. Reasoning (before the answer, dimmed,
//! or labelled `thinking:` without colour) and tool calls (one line each)
//! go beside it on a terminal, and to stderr when stdout is piped or holds
//! a JSON document (`--schema`), so a script reading stdout gets the answer
//! and nothing else.

use std::io::{self, Stderr, Write};

use yat::ChatEvent;

use crate::term::{Paint, Term};
use crate::tool_calls::call_line;

/// What a reply's text view shows, and where.
#[derive(Debug, Clone, Copy)]
pub struct ViewOptions {
    /// Stream the answer's text to stdout (off for `--schema`, which prints
    /// the document when it is complete).
    pub stream_answer: bool,
    /// Show reasoning (`--no-reasoning` hides it).
    pub show_reasoning: bool,
    /// Show each tool call the model makes as it ends (off when the tool
    /// loop runs the calls: their lines are then shown as they run).
    pub show_calls: bool,
}

/// The text view of one reply.
pub struct ReplyView {
    opts: ViewOptions,
    /// Reasoning and tool calls share stdout with the answer (a terminal).
    side_on_stdout: bool,
    side_paint: Paint,
    err: io::BufWriter<Stderr>,
    in_reasoning: bool,
    out_at_line_start: bool,
    err_at_line_start: bool,
    wrote_answer: bool,
}

impl ReplyView {
    /// A view for `term`.
    pub fn new(term: &Term, opts: ViewOptions) -> Self {
        let side_on_stdout = opts.stream_answer && term.stdout_tty;
        ReplyView {
            opts,
            side_on_stdout,
            side_paint: if side_on_stdout {
                term.stdout_paint(false)
            } else {
                term.stderr_paint()
            },
            err: io::BufWriter::new(io::stderr()),
            in_reasoning: false,
            out_at_line_start: true,
            err_at_line_start: true,
            wrote_answer: false,
        }
    }

    /// Shows one event; `out` is stdout.
    pub fn event(&mut self, out: &mut impl Write, event: &ChatEvent) -> io::Result<()> {
        match event {
            ChatEvent::Delta { text } => {
                self.close_reasoning(out)?;
                if self.opts.stream_answer && !text.is_empty() {
                    out.write_all(text.as_bytes())?;
                    self.out_at_line_start = text.ends_with('\n');
                    self.wrote_answer = true;
                }
            }
            ChatEvent::ReasoningDelta { text } if self.opts.show_reasoning => {
                self.open_reasoning(out)?;
                self.side(out, text)?;
            }
            ChatEvent::RedactedReasoning { .. } if self.opts.show_reasoning => {
                if self.in_reasoning {
                    self.side_line_start(out)?;
                }
                self.open_reasoning(out)?;
                self.side(out, "[reasoning redacted by the provider]\n")?;
            }
            ChatEvent::ToolCallEnd { call, .. } if self.opts.show_calls => {
                self.line(out, &call_line(call))?;
            }
            ChatEvent::Finish(_) => self.close_reasoning(out)?,
            _ => {}
        }
        Ok(())
    }

    /// A line of its own beside the answer (dimmed), as tool calls are
    /// shown: on a line of its own, after any reasoning.
    pub fn line(&mut self, out: &mut impl Write, text: &str) -> io::Result<()> {
        self.close_reasoning(out)?;
        if self.side_on_stdout {
            self.side_line_start(out)?;
        }
        let line = self.side_paint.dim(text);
        self.side(out, &line)?;
        self.side(out, "\n")
    }

    /// Ends the view: closes what is open and ends the last line.
    pub fn end(&mut self, out: &mut impl Write) -> io::Result<()> {
        self.close_reasoning(out)?;
        if self.wrote_answer && !self.out_at_line_start {
            out.write_all(b"\n")?;
            self.out_at_line_start = true;
        }
        if !self.err_at_line_start {
            self.err.write_all(b"\n")?;
            self.err_at_line_start = true;
        }
        self.flush()
    }

    /// Writes out what is buffered for stderr.
    pub fn flush(&mut self) -> io::Result<()> {
        self.err.flush()
    }

    fn open_reasoning(&mut self, out: &mut impl Write) -> io::Result<()> {
        if !self.in_reasoning {
            self.side_line_start(out)?;
            self.side_code(out, self.side_paint.dim_start())?;
            if !self.side_paint.0 {
                // Without colour, a label tells the reasoning from the answer
                // (and from the notes on stderr), as `yat log show` does.
                self.side(out, "thinking: ")?;
            }
            self.in_reasoning = true;
        }
        Ok(())
    }

    fn close_reasoning(&mut self, out: &mut impl Write) -> io::Result<()> {
        if !self.in_reasoning {
            return Ok(());
        }
        self.in_reasoning = false;
        self.side_code(out, self.side_paint.reset())?;
        self.side_line_start(out)?;
        if self.side_on_stdout {
            // A blank line between the reasoning and the answer.
            self.side(out, "\n")?;
        }
        Ok(())
    }

    /// Ends the side channel's current line, if it is not at a line start.
    fn side_line_start(&mut self, out: &mut impl Write) -> io::Result<()> {
        let at_start = if self.side_on_stdout {
            self.out_at_line_start
        } else {
            self.err_at_line_start
        };
        if at_start {
            Ok(())
        } else {
            self.side(out, "\n")
        }
    }

    fn side(&mut self, out: &mut impl Write, text: &str) -> io::Result<()> {
        if text.is_empty() {
            return Ok(());
        }
        let at_line_start = text.ends_with('\n');
        if self.side_on_stdout {
            out.write_all(text.as_bytes())?;
            self.out_at_line_start = at_line_start;
        } else {
            self.err.write_all(text.as_bytes())?;
            self.err_at_line_start = at_line_start;
        }
        Ok(())
    }

    /// Writes a colour code, which moves no cursor.
    fn side_code(&mut self, out: &mut impl Write, code: &str) -> io::Result<()> {
        if self.side_on_stdout {
            out.write_all(code.as_bytes())
        } else {
            self.err.write_all(code.as_bytes())
        }
    }
}
