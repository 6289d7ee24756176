package survey

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"

	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/transform"
)

// fakeDistrict is a district of Qingdao with its administrative division
// code (the 3rd to 8th characters of a USCC) and some of its streets.
type fakeDistrict struct {
	name, code string
	streets    []string
}

var fakeDistricts = []fakeDistrict{
	{"市南区", "370202", []string{"香港中路街道", "八大关街道", "湛山街道", "八大峡街道", "金门路街道", "江苏路街道"}},
	{"市北区", "370203", []string{"台东街道", "登州路街道", "辽宁路街道", "延安路街道", "浮山新区街道", "合肥路街道"}},
	{"李沧区", "370213", []string{"九水街道", "虎山路街道", "楼山街道", "兴华路街道", "李村街道", "湘潭路街道"}},
	{"崂山区", "370212", []string{"中韩街道", "沙子口街道", "金家岭街道", "王哥庄街道", "北宅街道"}},
	{"黄岛区", "370211", []string{"薛家岛街道", "长江路街道", "灵山卫街道", "辛安街道", "隐珠街道", "王台镇"}},
	{"城阳区", "370214", []string{"流亭街道", "棘洪滩街道", "城阳街道", "夏庄街道", "惜福镇街道", "上马街道"}},
	{"即墨区", "370215", []string{"通济街道", "潮海街道", "环秀街道", "龙山街道", "蓝村街道", "田横镇"}},
	{"胶州市", "370281", []string{"阜安街道", "中云街道", "三里河街道", "九龙街道", "李哥庄镇"}},
	{"平度市", "370283", []string{"东阁街道", "李园街道", "同和街道", "凤台街道", "南村镇"}},
	{"莱西市", "370285", []string{"水集街道", "望城街道", "沽河街道", "姜山镇", "院上镇"}},
}

// fakeIndustry is an industry with the words a company name in it ends with.
type fakeIndustry struct {
	name  string
	kinds []string
}

var fakeIndustries = []fakeIndustry{
	{"制造业", []string{"机械", "电子", "纺织", "食品", "橡胶", "模具", "重工", "精密仪器", "服装", "化工"}},
	{"建筑业", []string{"建设", "建筑工程", "装饰工程", "市政工程"}},
	{"批发和零售业", []string{"商贸", "超市", "百货", "贸易"}},
	{"住宿和餐饮业", []string{"餐饮管理", "酒店管理", "海鲜酒楼"}},
	{"交通运输业", []string{"物流", "运输", "速运", "港务"}},
	{"信息技术服务业", []string{"软件科技", "网络科技", "信息技术", "数据服务"}},
	{"居民服务业", []string{"家政服务", "物业服务", "洗涤服务"}},
	{"租赁和商务服务业", []string{"人力资源", "保安服务", "企业管理咨询"}},
	{"房地产业", []string{"置业", "房地产开发", "物业管理"}},
	{"农林牧渔业", []string{"农产品", "水产养殖", "果蔬种植"}},
}

// fakeSyllables make up fictional trade names (海X, 瑞丰, …).
var fakeSyllables = []rune("海信瑞丰华泰鑫源恒达宏远顺安金鼎盛昌嘉禾永兴德润明辉东方蓝天新宇力创博远联众凯旋佳美汇通和谐益民福康利群众诚天成万隆裕祥")

var fakeSurnames = []rune("王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎")

var fakeGiven = []rune("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰建国志红海燕鹏飞")

var fakeRoads = []string{"香港中路", "山东路", "福州路", "南京路", "黑龙江路", "长江中路", "重庆南路", "延吉路", "株洲路", "九水东路", "文化路", "烟台路"}

// fakeSuffixes are the legal forms at the end of a company name.
var fakeSuffixes = []string{"有限公司", "有限公司", "有限公司", "股份有限公司", "有限责任公司", "厂", "分公司"}

// FakeRoster returns n fictional enterprises (any likeness to a real company
// is accidental) with valid, distinct USCCs, deterministic for a seed. IDs
// are empty. It feeds fixtures, demos and benchmarks.
func FakeRoster(n int, seed int64) []Enterprise {
	rng := rand.New(rand.NewPCG(uint64(seed), 0x9e3779b97f4a7c15))
	ents := make([]Enterprise, 0, n)
	// Distinct organisation codes: i -> (a*i + b) mod 31^8 is a bijection
	// on [0, 31^8) because a is prime to 31.
	const space = 31 * 31 * 31 * 31 * 31 * 31 * 31 * 31
	offset := rng.Uint64N(space)
	for i := 0; i < n; i++ {
		d := fakeDistricts[rng.IntN(len(fakeDistricts))]
		ind := fakeIndustries[rng.IntN(len(fakeIndustries))]
		name := "青岛" + string(fakeSyllables[rng.IntN(len(fakeSyllables))]) +
			string(fakeSyllables[rng.IntN(len(fakeSyllables))]) +
			ind.kinds[rng.IntN(len(ind.kinds))] + fakeSuffixes[rng.IntN(len(fakeSuffixes))]
		if rng.IntN(5) == 0 {
			name = d.name[:len(d.name)-len("区")] + name[len("青岛"):]
		}
		code := fakeUSCC(d.code, (uint64(i)*7919+offset)%space, rng)
		street := d.streets[rng.IntN(len(d.streets))]
		e := Enterprise{
			Name:     name,
			USCC:     code,
			District: d.name,
			Street:   street,
			Industry: ind.name,
			Workers:  fakeWorkers(rng),
			HasUnion: rng.IntN(3) != 0,
			Contact:  string(fakeSurnames[rng.IntN(len(fakeSurnames))]) + string(fakeGiven[rng.IntN(len(fakeGiven))]),
			Address: fmt.Sprintf("青岛市%s%s%d号", d.name,
				fakeRoads[rng.IntN(len(fakeRoads))], 1+rng.IntN(300)),
		}
		if rng.IntN(3) == 0 {
			e.Contact += string(fakeGiven[rng.IntN(len(fakeGiven))])
		}
		if rng.IntN(4) == 0 {
			e.Phone = fmt.Sprintf("0532-8%07d", rng.IntN(10000000))
		} else {
			e.Phone = fmt.Sprintf("1%d%09d", []int{3, 5, 7, 8, 9}[rng.IntN(5)], rng.IntN(1000000000))
		}
		ents = append(ents, e)
	}
	return ents
}

// fakeWorkers draws a plausible head count: mostly small firms, a few large.
func fakeWorkers(rng *rand.Rand) int {
	switch r := rng.IntN(100); {
	case r < 60:
		return 3 + rng.IntN(50)
	case r < 90:
		return 50 + rng.IntN(300)
	default:
		return 300 + rng.IntN(5000)
	}
}

// fakeUSCC builds a valid code: "91" (market regulator, enterprise), the
// division code, an 8-character organisation number from num, one random
// character and the check character.
func fakeUSCC(division string, num uint64, rng *rand.Rand) string {
	var b [18]byte
	b[0], b[1] = '9', '1'
	copy(b[2:8], division)
	for i := 15; i >= 8; i-- {
		b[i] = usccAlphabet[num%31]
		num /= 31
	}
	b[16] = usccAlphabet[rng.IntN(10)]
	c, err := USCCCheckChar(string(b[:17]))
	if err != nil {
		panic(err) // impossible: every character comes from the alphabet
	}
	b[17] = c
	return string(b[:])
}

// rosterCSVHeader is the header WriteRosterCSV writes, in the column order
// of a typical district roster.
var rosterCSVHeader = []string{"企业名称", "统一社会信用代码", "所属区市", "镇街", "行业", "职工人数", "是否建会", "联系人", "联系电话", "地址"}

// WriteRosterCSV writes ents as a roster CSV with a Chinese header row, in
// UTF-8 without BOM or, when gb18030 is set, in GB18030 as Excel on Chinese
// Windows saves it. Lines end in CRLF like Excel's.
func WriteRosterCSV(w io.Writer, ents []Enterprise, gb18030 bool) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	var out io.Writer = bw
	var enc io.WriteCloser
	if gb18030 {
		enc = transform.NewWriter(bw, simplifiedchinese.GB18030.NewEncoder())
		out = enc
	}
	cw := csv.NewWriter(out)
	cw.UseCRLF = true
	if err := cw.Write(rosterCSVHeader); err != nil {
		return fmt.Errorf("write roster: %w", err)
	}
	rec := make([]string, len(rosterCSVHeader))
	for _, e := range ents {
		union := "否"
		if e.HasUnion {
			union = "是"
		}
		rec[0], rec[1], rec[2], rec[3], rec[4] = e.Name, e.USCC, e.District, e.Street, e.Industry
		rec[5], rec[6], rec[7], rec[8], rec[9] = strconv.Itoa(e.Workers), union, e.Contact, e.Phone, e.Address
		if err := cw.Write(rec); err != nil {
			return fmt.Errorf("write roster: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write roster: %w", err)
	}
	if enc != nil {
		if err := enc.Close(); err != nil {
			return fmt.Errorf("write roster: %w", err)
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write roster: %w", err)
	}
	return nil
}
