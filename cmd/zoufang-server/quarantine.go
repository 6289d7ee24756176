package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"

	"zoufang/sync/district"
)

func init() {
	commands = append(commands, command{"quarantine",
		"quarantine list|show|release|reject --data 目录 [编号] [--by 处理人 --why 理由]",
		"隔离的同步包：列出、查看内容、放行（重新判断）或拒收", runQuarantine})
}

// runQuarantine: list, show, release and reject quarantined bundles. The
// number a person types is the bundle's hash as list prints it (the first
// 8 digits are enough when unique).
func runQuarantine(d *district.District, fs *flag.FlagSet, args []string, out, errOut io.Writer) int {
	if len(args) == 0 {
		fs.Usage()
		return 2
	}
	ctx := context.Background()
	by, why := flagString(fs, "by"), flagString(fs, "why")
	switch args[0] {
	case "list":
		q, err := d.Quarantined(ctx)
		if err != nil {
			return fail(d, errOut, "读取隔离的同步包失败：", err)
		}
		if len(q) == 0 {
			fmt.Fprintln(out, "没有隔离的同步包")
			return 0
		}
		fmt.Fprintf(out, "隔离的同步包 %d 个（放行：quarantine release 编号 --by 处理人 --why 理由；拒收：quarantine reject …）：\n", len(q))
		for _, b := range q {
			fmt.Fprintf(out, "  %s  设备 %s（%s）第 %d 号  %d 条记录  %.1f KB  %s 收到\n    原因：%s\n",
				b.ID[:16], b.DeviceID, b.DeviceName, b.Seq, b.Records, float64(b.Size)/1024, b.Received.Local().Format("2006-01-02 15:04"), b.Reason)
		}
		return 0
	case "show":
		if len(args) != 2 {
			fs.Usage()
			return 2
		}
		det, err := d.InspectQuarantined(ctx, args[1])
		if err != nil {
			return fail(d, errOut, "", err)
		}
		fmt.Fprintf(out, "编号 %s\n设备 %s（%s）第 %d 号，%s 收到，%.1f KB\n隔离原因：%s\n",
			det.ID, det.DeviceID, det.DeviceName, det.Seq, det.Received.Local().Format("2006-01-02 15:04"), float64(det.Size)/1024, det.Reason)
		if det.Problem != "" {
			fmt.Fprintf(out, "无法查看内容：%s\n", det.Problem)
			return 0
		}
		fmt.Fprintf(out, "签名有效，内容已解密（只读）：%d 条记录，%d 个附件\n", len(det.Versions), len(det.Attachments))
		for i, v := range det.Versions {
			action := "新建"
			switch {
			case v.Deleted:
				action = "删除"
			case len(v.Parents) > 0:
				action = "修改"
			}
			fmt.Fprintf(out, "  %d. %s %s  %s  %s %s\n", i+1, kindName(string(v.Kind)), v.RecordID, action, v.Author, v.Created.Local().Format("2006-01-02 15:04"))
		}
		for _, a := range det.Attachments {
			fmt.Fprintf(out, "  附件 %s（%s，%.1f KB）\n", a.ID, a.Mime, float64(a.Size)/1024)
		}
		return 0
	case "release", "reject":
		if len(args) != 2 || strings.TrimSpace(by) == "" || strings.TrimSpace(why) == "" {
			fmt.Fprintln(errOut, "放行或拒收须写明编号、处理人和理由：quarantine", args[0], "编号 --by 处理人 --why 理由")
			return 2
		}
		if args[0] == "reject" {
			if err := d.RejectQuarantined(ctx, args[1], by, why); err != nil {
				return fail(d, errOut, "拒收失败：", err)
			}
			fmt.Fprintf(out, "已拒收 %s（处理人 %s）；同一文件再送来时将被告知已拒收\n", args[1], by)
			return 0
		}
		res, err := d.ReleaseQuarantined(ctx, args[1], by, why)
		if err != nil {
			return fail(d, errOut, "放行失败：", err)
		}
		switch res.Decision {
		case district.Quarantined:
			fmt.Fprintf(out, "重新判断后仍不能合并，继续隔离：%s\n", res.Message)
			return 1
		default:
			fmt.Fprintf(out, "已放行（处理人 %s）：%s\n", by, res.Message)
		}
		return 0
	}
	fs.Usage()
	return 2
}

// kindName names a record kind for people.
func kindName(kind string) string {
	switch kind {
	case "enterprise":
		return "企业"
	case "visit":
		return "走访记录"
	case "response":
		return "问卷"
	case "ledger":
		return "台帐事项"
	}
	return kind
}
