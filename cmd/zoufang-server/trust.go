package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"zoufang/sync"
	"zoufang/sync/district"
)

// The trust file's renewal and the district's keys (zoufang-server trust),
// and resending kept down bundles (export-down --resend / --all).

func init() {
	commands = append(commands, command{"trust",
		"trust renew --data 目录 [--url 地址] [--valid 365d] [--rotate-key] [--by 处理人] [--out 文件]\n" +
			"       zoufang-server trust show --data 目录\n" +
			"       zoufang-server trust export --data 目录 --out 文件 [--version 版本] | --out 目录 --all\n" +
			"       zoufang-server trust retire --data 目录 旧密钥编号 --by 处理人 --reason 原因",
		"信任文件：续期、更换服务器地址或区总工会密钥、导出、停用旧密钥", runTrust})
}

func runTrust(d *district.District, fs *flag.FlagSet, args []string, out, errOut io.Writer) int {
	if len(args) == 0 {
		fs.Usage()
		return 2
	}
	switch args[0] {
	case "renew":
		return trustRenew(d, fs, args[1:], out, errOut)
	case "show":
		return trustShow(d, out, errOut)
	case "export":
		return trustExport(d, fs, out, errOut)
	case "retire":
		return trustRetire(d, fs, args[1:], out, errOut)
	}
	fmt.Fprintf(errOut, "未知的 trust 子命令 %q\n", args[0])
	fs.Usage()
	return 2
}

// parseValidity reads a validity such as 365d, 52w, 2y or 8760h.
func parseValidity(s string) (time.Duration, error) {
	if s == "" {
		return district.DefaultTrustValid, nil
	}
	unit := map[byte]time.Duration{'d': 24 * time.Hour, 'w': 7 * 24 * time.Hour, 'y': 365 * 24 * time.Hour}
	if u, ok := unit[s[len(s)-1]]; ok {
		n, err := strconv.Atoi(s[:len(s)-1])
		if err != nil || n <= 0 || n > 100_000 {
			return 0, fmt.Errorf("有效期 %q 无效，应写成 365d、52w 或 1y", s)
		}
		return time.Duration(n) * u, nil
	}
	v, err := time.ParseDuration(s)
	if err != nil || v <= 0 {
		return 0, fmt.Errorf("有效期 %q 无效，应写成 365d、52w 或 1y", s)
	}
	return v, nil
}

func trustRenew(d *district.District, fs *flag.FlagSet, args []string, out, errOut io.Writer) int {
	if len(args) != 0 {
		fs.Usage()
		return 2
	}
	valid, err := parseValidity(flagString(fs, "valid"))
	if err != nil {
		fmt.Fprintln(errOut, err)
		return 2
	}
	opt := district.RenewOptions{Valid: valid, RotateKey: flagString(fs, "rotate-key") == "true", By: flagString(fs, "by")}
	fs.Visit(func(f *flag.Flag) {
		if f.Name == "url" {
			u := f.Value.String()
			opt.ServerURL = &u
		}
	})
	info, data, err := d.Renew(context.Background(), opt)
	if err != nil && data == nil {
		fmt.Fprintln(errOut, err)
		return 1
	}
	if err != nil {
		fmt.Fprintln(errOut, "注意：", err)
	}
	dest := flagString(fs, "out")
	if dest == "" {
		dest = filepath.Join(d.Dir(), "trust", fmt.Sprintf("trust-v%d.zft", info.Version))
	}
	if err := os.MkdirAll(filepath.Dir(dest), 0o700); err != nil {
		fmt.Fprintln(errOut, "无法写出信任文件：", err)
		return 1
	}
	if err := sync.WriteFileAtomic(dest, data, 0o644); err != nil {
		fmt.Fprintln(errOut, "无法写出信任文件：", err)
		return 1
	}
	fmt.Fprintf(out, "已签发信任文件第 %d 版，有效期至 %s\n", info.Version, info.Expires.Local().Format("2006-01-02"))
	if opt.RotateKey {
		fmt.Fprintf(out, "已更换区总工会密钥，新的密钥指纹：%s（旧密钥仍可解密笔记本以前加密的同步包，全部送达后用 trust retire 停用）\n", info.Fingerprint)
	} else {
		fmt.Fprintf(out, "区总工会密钥指纹：%s\n", info.Fingerprint)
	}
	server := info.ServerURL
	if server == "" {
		server = "无（只用U盘）"
	}
	fmt.Fprintf(out, "服务器地址：%s\n信任文件：%s\n", server, dest)
	fmt.Fprintln(out, "联网的笔记本下次上传时自动取得新的信任文件；只用U盘的笔记本请把这个文件交给它导入（zoufang device trust）。")
	return 0
}

func trustShow(d *district.District, out, errOut io.Writer) int {
	ctx := context.Background()
	ts, err := d.Trusts(ctx)
	if err != nil {
		fmt.Fprintln(errOut, err)
		return 1
	}
	fmt.Fprintln(out, "信任文件：")
	for _, t := range ts {
		server := t.ServerURL
		if server == "" {
			server = "无（只用U盘）"
		}
		fmt.Fprintf(out, "  第 %d 版  签发 %s  有效期至 %s  密钥 %s（指纹 %s）  服务器 %s\n", t.Version,
			t.Issued.Local().Format("2006-01-02"), t.Expires.Local().Format("2006-01-02"), t.SigningKeyID, t.Fingerprint, server)
	}
	ks, err := d.Keys(ctx)
	if err != nil {
		fmt.Fprintln(errOut, err)
		return 1
	}
	fmt.Fprintln(out, "区总工会密钥：")
	for _, k := range ks {
		line := fmt.Sprintf("  %s  %s  启用 %s", k.SigningKeyID, k.StateLabel(), k.Created.Local().Format("2006-01-02"))
		if k.State == "retired" {
			line += fmt.Sprintf("  停用 %s（%s：%s）", k.Retired.Local().Format("2006-01-02"), k.RetiredBy, k.RetireReason)
		}
		fmt.Fprintln(out, line)
	}
	return 0
}

func trustExport(d *district.District, fs *flag.FlagSet, out, errOut io.Writer) int {
	dest := flagString(fs, "out")
	if dest == "" {
		fs.Usage()
		return 2
	}
	ctx := context.Background()
	if flagString(fs, "all") == "true" {
		ts, err := d.Trusts(ctx)
		if err != nil {
			fmt.Fprintln(errOut, err)
			return 1
		}
		if err := os.MkdirAll(dest, 0o755); err != nil {
			fmt.Fprintln(errOut, "无法创建目录：", err)
			return 1
		}
		for i := len(ts) - 1; i >= 0; i-- {
			data, err := d.TrustVersion(ctx, ts[i].Version)
			if err == nil {
				err = sync.WriteFileAtomic(filepath.Join(dest, fmt.Sprintf("trust-v%d.zft", ts[i].Version)), data, 0o644)
			}
			if err != nil {
				fmt.Fprintln(errOut, "无法写出信任文件：", err)
				return 1
			}
		}
		fmt.Fprintf(out, "已写出第 1 至 %d 版信任文件到 %s；笔记本可一次导入全部（zoufang device trust 文件...）\n", ts[0].Version, dest)
		return 0
	}
	var data []byte
	var err error
	if v := flagString(fs, "version"); v != "" {
		n, perr := strconv.ParseUint(v, 10, 64)
		if perr != nil {
			fmt.Fprintf(errOut, "版本 %q 无效\n", v)
			return 2
		}
		data, err = d.TrustVersion(ctx, n)
	} else {
		data, err = d.TrustFile()
	}
	if err == nil {
		err = sync.WriteFileAtomic(dest, data, 0o644)
	}
	if err != nil {
		fmt.Fprintln(errOut, "无法写出信任文件：", err)
		return 1
	}
	fmt.Fprintf(out, "已写出信任文件 %s\n", dest)
	return 0
}

func trustRetire(d *district.District, fs *flag.FlagSet, args []string, out, errOut io.Writer) int {
	by, reason := flagString(fs, "by"), flagString(fs, "reason")
	if len(args) != 1 || by == "" || reason == "" {
		fs.Usage()
		return 2
	}
	if err := d.RetireKey(context.Background(), args[0], by, reason); err != nil {
		fmt.Fprintln(errOut, "停用失败：", err)
		return 1
	}
	fmt.Fprintf(out, "已停用区总工会旧密钥 %s：此后用它加密的同步包将被拒收\n", args[0])
	return 0
}

// printTrustStatus adds the trust file's version and expiry to `status`,
// with a reminder when it expires within district.TrustRenewBefore.
func printTrustStatus(ctx context.Context, d *district.District, out io.Writer) {
	t, err := d.CurrentTrust(ctx)
	if err != nil {
		fmt.Fprintln(out, "信任文件：", err)
		return
	}
	fmt.Fprintf(out, "信任文件第 %d 版，有效期至 %s\n", t.Version, t.Expires.Local().Format("2006-01-02"))
	left := time.Until(t.Expires)
	switch {
	case left <= 0:
		fmt.Fprintln(out, "注意：信任文件已过期，笔记本无法同步：请运行 zoufang-server trust renew")
	case left <= district.TrustRenewBefore:
		fmt.Fprintf(out, "注意：信任文件还有 %d 天过期：请运行 zoufang-server trust renew，笔记本上传时会自动取得新的\n", int((left+24*time.Hour-1)/(24*time.Hour)))
	}
}

// resendDown writes kept down bundles again: --resend SEQ to the file
// dest, --all into the folder dest.
func resendDown(d *district.District, fs *flag.FlagSet, dev, dest string, out, errOut io.Writer) int {
	ctx := context.Background()
	if flagString(fs, "all") == "true" {
		list, err := d.DownBundles(ctx, dev)
		if err != nil {
			fmt.Fprintln(errOut, "重发下发包失败：", err)
			return 1
		}
		if len(list) == 0 {
			fmt.Fprintf(out, "还没有为设备 %s 生成过下发包\n", dev)
			return 0
		}
		if err := os.MkdirAll(dest, 0o755); err != nil {
			fmt.Fprintln(errOut, "无法创建目录：", err)
			return 1
		}
		code := 0
		for _, b := range list {
			if !b.Kept {
				fmt.Fprintf(errOut, "第 %d 号下发包生成于保留副本之前，无法重发\n", b.Seq)
				code = 1
				continue
			}
			data, err := d.DownBundle(ctx, dev, b.Seq)
			p := filepath.Join(dest, downFileName(dev, b.Seq))
			if err == nil {
				err = sync.WriteFileAtomic(p, data, 0o644)
			}
			if err != nil {
				fmt.Fprintln(errOut, "重发下发包失败：", err)
				return 1
			}
			fmt.Fprintf(out, "已写出第 %d 号下发包（%d 条记录）：%s\n", b.Seq, b.Versions, p)
		}
		return code
	}
	seq, err := strconv.ParseUint(flagString(fs, "resend"), 10, 64)
	if err != nil || seq == 0 {
		fmt.Fprintf(errOut, "下发包序号 %q 无效\n", flagString(fs, "resend"))
		return 2
	}
	data, err := d.DownBundle(ctx, dev, seq)
	if err != nil {
		fmt.Fprintln(errOut, "重发下发包失败：", err)
		return 1
	}
	if st, serr := os.Stat(dest); serr == nil && st.IsDir() || strings.HasSuffix(dest, string(os.PathSeparator)) {
		if err := os.MkdirAll(dest, 0o755); err != nil {
			fmt.Fprintln(errOut, "无法创建目录：", err)
			return 1
		}
		dest = filepath.Join(dest, downFileName(dev, seq))
	}
	if err := sync.WriteFileAtomic(dest, data, 0o644); err != nil {
		fmt.Fprintln(errOut, "无法写出下发包：", err)
		return 1
	}
	fmt.Fprintf(out, "已重新写出第 %d 号下发包（与第一次发出的完全相同）：%s\n", seq, dest)
	return 0
}

// downFileName names a down bundle file for a clerk: device and seq.
func downFileName(dev string, seq uint64) string {
	short := dev
	if len(short) > 8 {
		short = short[:8]
	}
	return fmt.Sprintf("down-%s-%06d.zfb", short, seq)
}
