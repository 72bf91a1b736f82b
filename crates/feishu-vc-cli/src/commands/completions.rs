//! `feishu-vc completions SHELL`: the shell's completion script for the whole command line.

use crate::args::command;
use crate::outcome::Failure;
use crate::output::{self, Effect};

pub(crate) fn run(shell: clap_complete::Shell) -> Result<(), Failure> {
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut command(), "feishu-vc", &mut script);
    output::emit(&String::from_utf8_lossy(&script), Effect::Read, String::new)
}
