//! An output file that appears only when complete: written under a hidden temporary name in its
//! destination's folder (so the final rename never crosses file systems) and renamed into place
//! by `commit`. Dropped before that, it removes the temporary file: no half-written output is
//! ever left behind.

use super::error::{CliError, CliResult};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

pub struct PendingFile {
    path: PathBuf,
    temp: PathBuf,
    /// `None` once committed (or closed for removal).
    file: Option<BufWriter<File>>,
}

impl PendingFile {
    pub fn create(path: &Path) -> CliResult<Self> {
        let name = path.display();
        let file_name = path
            .file_name()
            .ok_or_else(|| CliError::input(format!("{name}: output path has no file name")))?
            .to_string_lossy()
            .into_owned();
        let folder = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        if !folder.is_dir() {
            return Err(CliError::input(format!("{name}: output folder {} does not exist", folder.display())));
        }
        if path.is_dir() {
            return Err(CliError::input(format!("{name}: output is a folder, expected a file name")));
        }
        let temp = folder.join(format!(".{file_name}.keel-{}.tmp", std::process::id()));
        let file = File::create(&temp).map_err(|e| CliError::io(path, "cannot create output", e))?;
        Ok(Self { path: path.to_path_buf(), temp, file: Some(BufWriter::with_capacity(1 << 16, file)) })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The file being written (buffered; seekable).
    pub fn file(&mut self) -> CliResult<&mut BufWriter<File>> {
        let path = &self.path;
        self.file.as_mut().ok_or_else(|| CliError::input(format!("{}: write after finish", path.display())))
    }

    /// An error writing this file, naming it.
    pub fn write_error(&self, e: std::io::Error) -> CliError {
        CliError::io(&self.path, "cannot write", e)
    }

    /// Flushes, syncs to disk and renames the file into place.
    pub fn commit(mut self) -> CliResult<()> {
        let mut file = self.file.take().ok_or_else(|| CliError::input(format!("{}: write after finish", self.path.display())))?;
        file.flush().map_err(|e| self.write_error(e))?;
        file.get_ref().sync_all().map_err(|e| self.write_error(e))?;
        drop(file);
        std::fs::rename(&self.temp, &self.path).map_err(|e| self.write_error(e))?;
        self.temp = PathBuf::new();
        Ok(())
    }
}

impl Drop for PendingFile {
    fn drop(&mut self) {
        // Not committed (an error happened): close it, then remove it.
        self.file = None;
        if !self.temp.as_os_str().is_empty() {
            let _ = std::fs::remove_file(&self.temp);
        }
    }
}
