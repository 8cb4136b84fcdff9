package app

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/db"
	"github.com/careloop/careloop/internal/outreach"
)

// wireOutreach builds the outreach service and registers its workers.
func (e *env) wireOutreach(ctx context.Context) error {
	e.outreach = &outreach.Service{DB: e.db, Audit: e.audit, Seal: e.keys, Jobs: e.jobs, Notify: e.notify}
	return nil
}

// demoActor returns the demo account username as a caller holding role at
// the demo unit named en.
func (e *env) demoActor(ctx context.Context, ids map[string]int64, username, role, en string) (access.Principal, error) {
	p := access.Principal{Username: username}
	var path string
	err := e.db.Read(ctx, func(ctx context.Context, tx *db.Tx) error {
		if err := tx.QueryRow(ctx, `SELECT id FROM users WHERE username = ?`, username).Scan(&p.UserID); err != nil {
			return err
		}
		return tx.QueryRow(ctx, `SELECT path FROM org_units WHERE id = ?`, ids[en]).Scan(&path)
	})
	p.Memberships = []access.Membership{{OrgID: ids[en], OrgPath: path, Role: role}}
	return p, err
}

// demoOutreach loads the demo's outreach records: venues of each kind, the
// 栀子花讲堂 parent-lecture series with two lectures at Meiyuan Community
// Station, an awareness-month event, a touring talk and a radio item, and
// Xuanwu's 2026 rating of youth-care rooms, scored and left to publish.
func (e *env) demoOutreach(ctx context.Context, ids map[string]int64, stdout io.Writer) error {
	coord, err := e.demoActor(ctx, ids, "xuanwu.coord", access.Coordinator, "Xuanwu District")
	if err != nil {
		return err
	}
	city, err := e.demoActor(ctx, ids, "city.coord", access.Coordinator, "City Growth-Guidance Centre")
	if err != nil {
		return err
	}
	// Qinhuai's venues are loaded as the demo loader (as its units are).
	qinhuai := access.Principal{UserID: -1, Memberships: []access.Membership{{OrgID: ids["Qinhuai District"], Role: access.Coordinator}}}
	if err := e.db.Read(ctx, func(ctx context.Context, tx *db.Tx) error {
		return tx.QueryRow(ctx, `SELECT path FROM org_units WHERE id = ?`, ids["Qinhuai District"]).Scan(&qinhuai.Memberships[0].OrgPath)
	}); err != nil {
		return err
	}
	venues := []struct {
		p                                     access.Principal
		unit, kind, name, address, facilities string
	}{
		{coord, "Xuanwu Experimental Primary School", "counselling_room", "玄武实验小学心理辅导室", "玄武实验小学 2 号楼 201", "个体咨询室\n团体辅导室\n沙盘"},
		{coord, "Xuanwu No. 1 Middle School", "counselling_room", "玄武第一中学心理辅导室", "玄武第一中学行政楼 3 层", "个体咨询室\n放松椅\n宣泄室"},
		{coord, "Xuanwu Guidance Centre", "guidance_centre", "玄武区未成年人成长指导中心", "玄武区北京东路 1 号", "咨询室 4 间\n家庭治疗室\n热线席位"},
		{city, "City Growth-Guidance Centre", "guidance_centre", "市未成年人成长指导中心", "市中心路 8 号", "咨询室 8 间\n团体活动室\n培训教室"},
		{coord, "Xuanwu Experimental Primary School", "youth_care_room", "玄武实验小学青爱小屋", "玄武实验小学 1 号楼", "阅读角\n沙盘"},
		{coord, "Xuanwu No. 1 Middle School", "youth_care_room", "玄武第一中学青爱小屋", "玄武第一中学图书馆 2 层", "心理书籍\n放松椅"},
		{coord, "Meiyuan Community Station", "youth_care_room", "梅园社区青爱小屋", "梅园新村 12 号", "亲子阅读区\n活动室"},
		{coord, "Xuanwu Guidance Centre", "youth_care_room", "玄武区指导中心青爱小屋", "玄武区北京东路 1 号 1 层", "绘本馆\n游戏治疗室"},
		{qinhuai, "Qinhuai Middle School", "youth_care_room", "秦淮中学青爱小屋", "秦淮中学综合楼", "放松椅"},
		{coord, "Meiyuan Community Station", "civic_practice_centre", "梅园社区新时代文明实践站", "梅园新村 10 号", "多功能厅（80 座）\n投影\n志愿者服务台"},
		{qinhuai, "Fuzimiao Community Station", "civic_practice_centre", "夫子庙社区新时代文明实践站", "夫子庙街道 3 号", "讲堂（120 座）"},
	}
	venueID := map[string]int64{}
	for _, v := range venues {
		id, err := e.outreach.CreateVenue(ctx, v.p, outreach.NewVenue{Unit: ids[v.unit], Kind: v.kind, Name: v.name, Address: v.address,
			Facilities: v.facilities, OpeningHours: "周一至周五 8:30–17:00；周六 9:00–12:00", Active: true})
		if err != nil {
			return fmt.Errorf("venue %s: %w", v.name, err)
		}
		venueID[v.name] = id
	}

	zone := time.FixedZone("CST", 8*3600)
	now := time.Now().In(zone)
	day := func(d, hour int) time.Time {
		return time.Date(now.Year(), now.Month(), now.Day(), hour, 0, 0, 0, zone).AddDate(0, 0, d)
	}
	acts := []outreach.NewActivity{
		{Unit: ids["Meiyuan Community Station"], Kind: "parent_class", Title: "栀子花讲堂：读懂青春期的孩子", StartsAt: day(-7, 19),
			VenueID: venueID["梅园社区新时代文明实践站"], Audiences: []string{"parents"}, Attendance: 76, Series: "栀子花讲堂"},
		{Unit: ids["Meiyuan Community Station"], Kind: "parent_class", Title: "栀子花讲堂：手机与睡眠，家长怎么做", StartsAt: day(14, 19),
			VenueID: venueID["梅园社区新时代文明实践站"], Audiences: []string{"parents"}, Attendance: 0, Series: "栀子花讲堂"},
		{Unit: ids["Xuanwu District"], Kind: "awareness_event", Title: "心理健康宣传月启动仪式", StartsAt: day(-2, 9),
			Place: "玄武区青少年活动中心广场", Audiences: []string{"students", "parents", "teachers", "public"}, Attendance: 1200},
		{Unit: ids["Xuanwu Guidance Centre"], Kind: "touring_talk", Title: "心理健康巡回宣讲（进校园）", StartsAt: day(3, 14),
			VenueID: venueID["玄武第一中学心理辅导室"], Audiences: []string{"students", "teachers"}, Attendance: 320},
		{Unit: ids["Xuanwu Guidance Centre"], Kind: "media", Title: "城市广播《成长热线》：考前减压", StartsAt: day(-10, 20),
			Place: "城市广播 FM 98.8", Audiences: []string{"public"}, Attendance: 0},
		{Unit: ids["Xuanwu Experimental Primary School"], Kind: "group_activity", Title: "五年级团体辅导：情绪小怪兽", StartsAt: day(1, 15),
			VenueID: venueID["玄武实验小学心理辅导室"], Audiences: []string{"students"}, Attendance: 36},
	}
	for _, a := range acts {
		if _, err := e.outreach.CreateActivity(ctx, coord, a); err != nil {
			return fmt.Errorf("activity %s: %w", a.Title, err)
		}
	}

	rid, err := e.outreach.DefineRating(ctx, coord, outreach.NewRating{Unit: ids["Xuanwu District"], Year: 2026, Kind: "youth_care_room",
		Criteria: []outreach.Criterion{
			{NameZh: "场地与设施", NameEn: "Space and facilities", Weight: 3, Max: 10},
			{NameZh: "开放与服务", NameEn: "Opening and service", Weight: 4, Max: 10},
			{NameZh: "活动开展", NameEn: "Activities held", Weight: 2, Max: 10},
			{NameZh: "台账管理", NameEn: "Records kept", Weight: 1, Max: 10},
		}})
	if err != nil {
		return fmt.Errorf("rating: %w", err)
	}
	r, err := e.outreach.Ranking(ctx, coord, rid)
	if err != nil {
		return err
	}
	scores := map[string][]int64{
		"玄武实验小学青爱小屋":  {9, 8, 9, 10},
		"玄武第一中学青爱小屋":  {8, 9, 7, 8},
		"梅园社区青爱小屋":    {7, 9, 9, 6},
		"玄武区指导中心青爱小屋": {10, 7, 8, 9},
	}
	for name, s := range scores {
		m := map[int64]int64{}
		for i, c := range r.Criteria {
			m[c.ID] = s[i]
		}
		if err := e.outreach.Score(ctx, coord, rid, venueID[name], m); err != nil {
			return fmt.Errorf("score %s: %w", name, err)
		}
	}
	fmt.Fprintf(stdout, "Outreach: %d venues, %d activities (栀子花讲堂 at Meiyuan), Xuanwu's 2026 youth-care room rating (draft, scored).\n",
		len(venues), len(acts))
	return nil
}
