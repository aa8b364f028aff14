#!/bin/sh
# Runs on the host after debootstrap, with the new root filesystem as $1: trims it to a slim image and
# lays the files of base/rootfs/ over it.
set -eu
root=$1
here=$(dirname "$0")
cp -a "$here/rootfs/." "$root/"
cd "$root"
find usr/share/doc -mindepth 1 ! -name copyright ! -type d -delete 2>/dev/null || true
find usr/share/doc -mindepth 1 -type d -empty -delete 2>/dev/null || true
rm -rf usr/share/man/* usr/share/info/* usr/share/lintian/*
find usr/share/locale -mindepth 1 -maxdepth 1 ! -name locale.alias -exec rm -rf {} + 2>/dev/null || true
rm -rf var/lib/apt/lists/* var/cache/apt/*.bin var/cache/apt/archives/*.deb var/cache/debconf/*-old
rm -rf var/log/* tmp/* dev/* proc/* sys/* run/*
mkdir -p run/lock && chmod 1777 run/lock tmp
: > etc/machine-id
: > etc/hostname
rm -f etc/resolv.conf
