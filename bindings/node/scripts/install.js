'use strict';
// The package's install step. In a source checkout (Cargo.toml beside
// package.json) it builds the addon with cargo, as every change to the Rust
// half needs. In an installed package it does nothing when npm brought this
// platform's prebuilt addon, and otherwise builds one from the Rust sources
// the package carries (rust/), saying what to do when cargo is missing.
const fs = require('node:fs');
const path = require('node:path');

const pkg = path.resolve(__dirname, '..');
if (!fs.existsSync(path.join(pkg, 'Cargo.toml'))) {
  const { findAddon } = require('../lib/addon');
  if (findAddon()) process.exit(0);
}
require('./build');
